"""The archiver's money part: payouts, purchases, refunds and disputes in their final states
move from Redis to the archive's `money_records`, once older than the retention window and
covered by a signed ledger checkpoint (the ledger check proves postings after a checkpoint
against these records in Redis; `touch` in money.lua dates every change that books money).

Crash-safe by order, as the jobs: a batch is written to the archive first (a row archived before
is replaced: the record was restored for a late webhook and changed), then removed from Redis
by `archive_money.lua`, which forgets a record only if its whole hash is still what was archived
and it is in no queue. Killed in between, the next run writes the same rows again and removes
them. A record that is not final yet (a purchase with a refund in flight, a sale still to hand
over or with its Stripe fee to book) stays.

What stays live, and why: the record's name in `money:archived` (about 60 bytes), so every
script that needs the record finds it archived rather than missing and gets it restored first
(core/store/restore.py) — a late Stripe webhook can never book a refund, dispute or payment
twice, nor find "nothing left to refund" wrong; `purchases:by-pi` (Stripe's webhooks for
Dashboard refunds and disputes name only the PaymentIntent; the archive has no index on it);
`entitlements:<buyer>` (what a buyer owns is live state, not history); transfer reversals (small,
no final state, and the dedup of Stripe's reversal ids); the ledger's idempotency keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.archive import Archive
from core.archive.models import MoneyKind, MoneyRecord
from core.store import Store, calls
from core.store.calls import ArchivedMoneyRef

log = logging.getLogger("lcn.archiver")

FINAL: dict[MoneyKind, tuple[str, ...]] = {
    "payout": ("paid", "failed"),
    "purchase": ("paid", "refunded", "failed", "expired", "mismatch"),
    "refund": ("succeeded", "failed"),
    "dispute": ("won", "lost"),
}


@dataclass
class MoneyRun:
    archived: int = 0  # written to the archive and removed from Redis
    kept: int = 0  # read but left (not final yet, changed meanwhile, queued)
    batches: int = 0


def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def _millis(fields: dict[str, str], name: str) -> int | None:
    try:
        return int(fields[name])
    except (KeyError, ValueError):
        return None


def final(kind: MoneyKind, fields: dict[str, str]) -> bool:
    """Whether the record is in a final state with nothing of it still under way."""
    if fields.get("status") not in FINAL[kind]:
        return False
    if kind == "purchase":
        return (_millis(fields, "refunding") or 0) == 0 and fields.get("fulfilment") != "due"
    return True


async def due_records(
    store: Store, batch: int, cutoff_ms: int
) -> list[tuple[MoneyKind, str, str, float]]:
    """Up to `batch` (kind, id, status, score) listed in a final status before `cutoff_ms`,
    oldest first (the status indexes are scored by each record's last change)."""
    wanted = [(kind, status) for kind, statuses in FINAL.items() for status in statuses]
    async with store.redis.pipeline(transaction=False) as pipe:
        for kind, status in wanted:
            index = store.keys.records_with_status(kind + "s", status)
            pipe.zrangebyscore(index, "-inf", f"({cutoff_ms}", start=0, num=batch, withscores=True)
        replies = await pipe.execute()
    found = [
        (kind, _text(member), status, score)
        for (kind, status), listed in zip(wanted, replies, strict=True)
        for member, score in listed
    ]
    return sorted(found, key=lambda item: item[3])[:batch]


async def write_money_batch(
    store: Store, archive: Archive, due: list[tuple[MoneyKind, str, str, float]], cutoff_ms: int
) -> tuple[list[ArchivedMoneyRef], set[str]]:
    """Read the records and write the final ones to the archive; returns what to remove from
    Redis, as read, and the names ('kind:id') of those left. Nothing in Redis changes here."""
    async with store.redis.pipeline(transaction=False) as pipe:
        for kind, record_id, _status, _score in due:
            pipe.hgetall(store.keys.record(kind, record_id))
        replies = await pipe.execute()
    refs: list[ArchivedMoneyRef] = []
    rows: list[MoneyRecord] = []
    kept: set[str] = set()
    for (kind, record_id, status, _score), raw in zip(due, replies, strict=True):
        fields = {_text(k): _text(v) for k, v in raw.items()}
        if not fields:  # listed, but no hash: its stale index entry goes
            refs.append({"kind": kind, "id": record_id, "status": status, "fields": {}})
            continue
        at = _millis(fields, "updated_at") or _millis(fields, "created_at") or 0
        if fields.get("id") != record_id or not final(kind, fields) or at >= cutoff_ms:
            kept.add(f"{kind}:{record_id}")
            continue
        rows.append(MoneyRecord(kind=kind, id=record_id, at=at, record=fields))
        refs.append({"kind": kind, "id": record_id, "status": status, "fields": fields})
    await archive.put_records(rows)
    return refs, kept


async def archive_money(
    store: Store, archive: Archive, *, cutoff_ms: int, batch: int, max_batches: int
) -> MoneyRun:
    """Archive the final money records last changed before `cutoff_ms`, a batch at a time.
    Records read but left (a purchase with a refund in flight, one changed meanwhile) are
    passed over for the rest of the run, so a few that wait never hold back the rest."""
    total = MoneyRun()
    passed: set[str] = set()
    for _ in range(max_batches if cutoff_ms > 0 else 0):
        listed = await due_records(store, batch + len(passed), cutoff_ms)
        due = [d for d in listed if f"{d[0]}:{d[1]}" not in passed][:batch]
        if not due:
            break
        refs, kept = await write_money_batch(store, archive, due, cutoff_ms)
        removed = set(await calls.archive_money(store, refs))
        passed |= kept
        passed |= {f"{r['kind']}:{r['id']}" for r in refs if r["fields"]} - removed
        total.batches += 1
        total.archived += len(removed)
        total.kept += len(kept) + sum(1 for r in refs if r["fields"]) - len(removed)
    if total.archived:
        log.info("archived %d money records in %d batches", total.archived, total.batches)
    return total
