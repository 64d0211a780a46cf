"""How many archive bytes a final money record costs on SQLite, and how many Redis bytes stay
live for it once archived (its name in `money:archived`).

    python -m tests.archive.bytes_per_money [RECORDS]

Archives RECORDS records (a quarter each of paid credit purchases, succeeded refunds, paid
payouts and lost disputes, with fields as lcn writes them) in batches, and prints the bytes per
record as JSON.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import tempfile
from pathlib import Path

from core.archive import Archive
from core.archive.models import MoneyRecord
from core.config import Settings

BATCH = 500
START_MS = 1_796_051_502_525


def _hex(n: int) -> str:
    return secrets.token_hex(n)


def sample(n: int, at: int) -> MoneyRecord:
    """The n-th record, shaped as the scripts write it (every value a string)."""
    kind = ("purchase", "refund", "payout", "dispute")[n % 4]
    t = str(at)
    pi = "pi_" + _hex(12)
    if kind == "purchase":
        rid = "pu_" + _hex(8)
        fields = {
            "id": rid, "kind": "credit", "sku": "credit", "description": "Compute credit $10.00",
            "buyer": "0x" + _hex(20), "amount": "10000000", "ref": "", "refunded": "0",
            "refunding": "0", "status": "paid", "error": "", "created_at": t, "updated_at": t,
            "paid_at": t, "paid_micro": "10000000", "payment_intent": pi,
            "session": "cs_test_" + _hex(12), "charge": "ch_" + _hex(12),
            "checkout_url": "https://checkout.stripe.com/c/pay/cs_test_" + _hex(12),
            "stripe_fee": "590000", "fee_txn": "txn_" + _hex(12),
        }  # fmt: skip
    elif kind == "refund":
        rid = "rf_" + _hex(8)
        fields = {
            "id": rid, "purchase": "pu_" + _hex(8), "amount": "2000000", "origin":
            "creator:0x" + _hex(20), "payment_intent": pi, "gen": "1", "attempts": "1",
            "next_attempt_at": t, "reason": "", "operator": "ops", "stripe_refund":
            "re_" + _hex(12), "error": "", "created_at": t, "updated_at": t, "status":
            "succeeded", "refunded_at": t, "first_sent_at": t, "recovering": "0",
        }  # fmt: skip
    elif kind == "payout":
        rid = "po_" + _hex(8)
        fields = {
            "id": rid, "node": "bafyrei" + _hex(26), "account": "acct_" + _hex(8),
            "amount": "1400000", "gen": "1", "attempts": "1", "key_n": "1",
            "next_attempt_at": t, "transfer": "tr_" + _hex(12), "error": "", "created_at": t,
            "updated_at": t, "status": "paid", "paid_at": t, "first_sent_at": t,
            "recovering": "0",
        }  # fmt: skip
    else:
        rid = "du_" + _hex(12)
        fields = {
            "id": rid, "purchase": "pu_" + _hex(8), "charge": "ch_" + _hex(12),
            "amount": "4000000", "fee": "150000", "origin": "creator:0x" + _hex(20),
            "from_origin": "4000000", "fee_back": "0", "created_at": t, "updated_at": t,
            "status": "lost", "closed_at": t,
        }  # fmt: skip
    return MoneyRecord(kind=kind, id=rid, at=at, record=fields)


async def measure(records: int, data_dir: Path) -> dict[str, float]:
    async with await Archive.open(Settings(data_dir=data_dir)) as archive:
        empty = (await archive.status()).size_bytes
        for start in range(0, records, BATCH):
            numbers = range(start, min(start + BATCH, records))
            await archive.put_records(sample(n, START_MS + 7 * n) for n in numbers)
        full = (await archive.status()).size_bytes
    return {"records": records, "archiveBytesPerRecord": round((full - empty) / records, 1)}


def main() -> None:
    records = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(measure(records, Path(tmp)))))


if __name__ == "__main__":
    main()
