"""The payments records as the CLI, the console and the API show them (camelCase on the wire),
read from their Redis hashes, and listed newest first through their indexes; final records the
archiver moved out are read back from the archive and shown marked `archived`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from core.archive.models import MoneyKind
from core.errors import InvalidInput, NotFound
from core.models.base import WireModel, ms_to_datetime
from core.models.records import fields
from core.models.records.fields import RawHash
from core.models.records.payout import PayoutRecord
from core.models.records.purchase import PurchaseRecord
from core.models.records.refund import RefundRecord
from core.money import format_usd, micro_to_json
from core.payments import archived
from core.store import Store
from core.store.keys import PAYOUT_STATUSES, PURCHASE_STATUSES
from core.store.reads import hashes

PayoutStatus = Literal["pending", "sent", "paid", "failed"]
PurchaseStatus = Literal["open", "paid", "failed", "expired", "refunded", "mismatch"]
RefundStatus = Literal["pending", "sent", "succeeded", "failed"]
MAX_LIST = 1000


class Payout(WireModel):
    payout_id: str
    node_id: str
    account: str
    amount: float
    amount_micro_usd: int
    status: PayoutStatus
    attempts: int
    generation: int
    transfer_id: str | None
    error: str | None
    created_at: datetime | None
    updated_at: datetime | None
    next_attempt_at: datetime | None
    paid_at: datetime | None
    archived: bool = False  # read back from the archive (core/payments/archived.py)

    def __str__(self) -> str:
        extra = f" ({self.transfer_id})" if self.transfer_id else ""
        extra += f": {self.error}" if self.error else ""
        extra += " (archived)" if self.archived else ""
        return f"payout {self.payout_id} {format_usd(self.amount_micro_usd)} {self.status}{extra}"


class PayoutRun(WireModel):
    """The payouts one `payouts run` made, as they stand after being sent."""

    payouts: list[Payout]

    def __str__(self) -> str:
        if not self.payouts:
            return "nothing to pay out"
        return "; ".join(str(p) for p in self.payouts)


class Purchase(WireModel):
    purchase_id: str
    kind: Literal["credit", "sale"]
    sku: str
    description: str
    buyer: str
    amount: float
    amount_micro_usd: int
    status: PurchaseStatus
    fulfilment: Literal["", "due", "done"]
    refunded_micro_usd: int
    checkout_url: str | None
    session_id: str | None
    payment_intent: str | None
    error: str | None
    delivery: dict[str, Any] | None
    created_at: datetime | None
    paid_at: datetime | None
    archived: bool = False  # read back from the archive (core/payments/archived.py)


class Refund(WireModel):
    refund_id: str
    purchase_id: str
    amount: float
    amount_micro_usd: int
    status: RefundStatus
    stripe_refund_id: str | None
    reason: str
    operator: str
    error: str | None
    created_at: datetime | None
    refunded_at: datetime | None
    archived: bool = False  # read back from the archive (core/payments/archived.py)

    def __str__(self) -> str:
        extra = f": {self.error}" if self.error else ""
        extra += " (archived)" if self.archived else ""
        return (
            f"refund {self.refund_id} of {self.purchase_id} {format_usd(self.amount_micro_usd)} "
            f"{self.status}{extra}"
        )


def decode(raw: dict[bytes, bytes]) -> dict[str, str]:
    return fields.decode_hash(raw)


def payout_from(h: RawHash, *, archived: bool = False) -> Payout:
    rec = PayoutRecord.from_hash(h)
    return Payout(
        payout_id=rec.payout_id,
        node_id=rec.node_id,
        account=rec.account,
        amount=micro_to_json(rec.amount),
        amount_micro_usd=rec.amount,
        status=rec.status,
        attempts=rec.attempts,
        generation=int(rec.gen or 0),
        transfer_id=rec.transfer,
        error=rec.error,
        created_at=ms_to_datetime(rec.created_at),
        updated_at=ms_to_datetime(rec.updated_at),
        next_attempt_at=ms_to_datetime(rec.next_attempt_at) if rec.status == "pending" else None,
        paid_at=ms_to_datetime(rec.paid_at),
        archived=archived,
    )


def purchase_from(h: RawHash, *, archived: bool = False) -> Purchase:
    rec = PurchaseRecord.from_hash(h)
    return Purchase(
        purchase_id=rec.purchase_id,
        kind=rec.kind,
        sku=rec.sku,
        description=rec.description,
        buyer=rec.buyer,
        amount=micro_to_json(rec.amount),
        amount_micro_usd=rec.amount,
        status=rec.status,
        fulfilment=rec.fulfilment,
        refunded_micro_usd=rec.refunded,
        checkout_url=rec.checkout_url,
        session_id=rec.session,
        payment_intent=rec.payment_intent,
        error=rec.error,
        delivery=rec.delivered,
        created_at=ms_to_datetime(rec.created_at),
        paid_at=ms_to_datetime(rec.paid_at),
        archived=archived,
    )


def refund_from(h: RawHash, *, archived: bool = False) -> Refund:
    rec = RefundRecord.from_hash(h)
    return Refund(
        refund_id=rec.refund_id,
        purchase_id=rec.purchase_id,
        amount=micro_to_json(rec.amount),
        amount_micro_usd=rec.amount,
        status=rec.status,
        stripe_refund_id=rec.stripe_refund,
        reason=rec.reason,
        operator=rec.operator,
        error=rec.error,
        created_at=ms_to_datetime(rec.created_at),
        refunded_at=ms_to_datetime(rec.refunded_at),
        archived=archived,
    )


async def raw_record(store: Store, key: str) -> dict[str, str]:
    return decode(await store.redis.hgetall(key))


async def _found(store: Store, kind: MoneyKind, record_id: str) -> tuple[RawHash, bool]:
    """The record's fields from Redis, else from the archive (then marked archived)."""
    h = await raw_record(store, store.keys.record(kind, record_id))
    if h:
        return h, False
    old = await archived.find(store, kind, record_id)
    if old is None:
        raise NotFound(f"No {kind} {record_id} in pool {store.pool}.")
    return old, True


async def get_payout(store: Store, payout_id: str) -> Payout:
    h, old = await _found(store, "payout", payout_id)
    return payout_from(h, archived=old)


async def get_purchase(store: Store, purchase_id: str) -> Purchase:
    h, old = await _found(store, "purchase", purchase_id)
    return purchase_from(h, archived=old)


async def get_refund(store: Store, refund_id: str) -> Refund:
    h, old = await _found(store, "refund", refund_id)
    return refund_from(h, archived=old)


async def _newest(
    store: Store,
    kind: MoneyKind,
    index: str,
    where: dict[str, str],
    limit: int,
    offset: int,
) -> list[tuple[RawHash, bool]]:
    """Live records from `index` newest first, then archived ones matching `where` (newest
    first by their last change): the archiver moves records in the order they settled, so the
    live part comes first, as `lcn job list` pages jobs (core/job_list.py)."""
    if not 1 <= limit <= MAX_LIST or offset < 0:
        raise InvalidInput(f"List between 1 and {MAX_LIST} records from offset 0 or more.")
    live_total = int(await store.redis.zcard(index))
    found: list[tuple[RawHash, bool]] = []
    if offset < live_total:
        ids = [m.decode() for m in await store.redis.zrevrange(index, offset, offset + limit - 1)]
        rows = await hashes(store, [store.keys.record(kind, record_id) for record_id in ids])
        found = [(decode(raw), False) for raw in rows if raw]
    if len(found) < limit:
        old = await archived.page(
            store,
            kind,
            where=where,
            offset=max(0, offset - live_total),
            limit=limit - len(found),
        )
        shown = {h.get("id") for h, _ in found}
        found += [(h, True) for h in old if h.get("id") not in shown]
    return found


async def list_payouts(
    store: Store,
    *,
    status: str | None = None,
    node_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Payout]:
    if status is not None and status not in PAYOUT_STATUSES:
        raise InvalidInput(
            f"Unknown payout status {status!r}; use one of {', '.join(PAYOUT_STATUSES)}."
        )
    where = {"status": status} if status else {}
    if node_id:
        index = store.keys.node_payouts(node_id)
        where["node"] = node_id
    elif status:
        index = store.keys.records_with_status("payouts", status)
    else:
        index = store.keys.records_index("payouts")
    rows = await _newest(store, "payout", index, where, limit, offset)
    found = [payout_from(h, archived=old) for h, old in rows]
    return [p for p in found if status is None or p.status == status]


async def list_purchases(
    store: Store, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[Purchase]:
    if status is not None and status not in PURCHASE_STATUSES:
        raise InvalidInput(
            f"Unknown purchase status {status!r}; use one of {', '.join(PURCHASE_STATUSES)}."
        )
    index = (
        store.keys.records_with_status("purchases", status)
        if status
        else store.keys.records_index("purchases")
    )
    where = {"status": status} if status else {}
    rows = await _newest(store, "purchase", index, where, limit, offset)
    return [purchase_from(h, archived=old) for h, old in rows]


async def list_refunds(store: Store, *, limit: int = 50, offset: int = 0) -> list[Refund]:
    index = store.keys.records_index("refunds")
    rows = await _newest(store, "refund", index, {}, limit, offset)
    return [refund_from(h, archived=old) for h, old in rows]
