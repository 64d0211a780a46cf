"""The payments records as the CLI, the console and the API show them (camelCase on the wire),
read from their Redis hashes, and listed newest first through their indexes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from core.errors import InvalidInput, NotFound
from core.models.base import WireModel, ms_to_datetime
from core.models.records import fields
from core.models.records.fields import RawHash
from core.models.records.payout import PayoutRecord
from core.models.records.purchase import PurchaseRecord
from core.models.records.refund import RefundRecord
from core.money import format_usd, micro_to_json
from core.payments import keys
from core.store import Store
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

    def __str__(self) -> str:
        extra = f" ({self.transfer_id})" if self.transfer_id else ""
        extra += f": {self.error}" if self.error else ""
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

    def __str__(self) -> str:
        extra = f": {self.error}" if self.error else ""
        return (
            f"refund {self.refund_id} of {self.purchase_id} {format_usd(self.amount_micro_usd)} "
            f"{self.status}{extra}"
        )


def decode(raw: dict[bytes, bytes]) -> dict[str, str]:
    return fields.decode_hash(raw)


def payout_from(h: RawHash) -> Payout:
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
    )


def purchase_from(h: RawHash) -> Purchase:
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
    )


def refund_from(h: RawHash) -> Refund:
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
    )


async def raw_record(store: Store, key: str) -> dict[str, str]:
    return decode(await store.redis.hgetall(key))


async def get_payout(store: Store, payout_id: str) -> Payout:
    h = await raw_record(store, keys.payout(store, payout_id))
    if not h:
        raise NotFound(f"No payout {payout_id} in pool {store.pool}.")
    return payout_from(h)


async def get_purchase(store: Store, purchase_id: str) -> Purchase:
    h = await raw_record(store, keys.purchase(store, purchase_id))
    if not h:
        raise NotFound(f"No purchase {purchase_id} in pool {store.pool}.")
    return purchase_from(h)


async def get_refund(store: Store, refund_id: str) -> Refund:
    h = await raw_record(store, keys.refund(store, refund_id))
    if not h:
        raise NotFound(f"No refund {refund_id} in pool {store.pool}.")
    return refund_from(h)


async def _newest(
    store: Store, index: str, key_of: Any, limit: int, offset: int
) -> list[dict[str, str]]:
    if not 1 <= limit <= MAX_LIST or offset < 0:
        raise InvalidInput(f"List between 1 and {MAX_LIST} records from offset 0 or more.")
    ids = [m.decode() for m in await store.redis.zrevrange(index, offset, offset + limit - 1)]
    rows = await hashes(store, [key_of(store, record_id) for record_id in ids])
    return [decode(raw) for raw in rows if raw]


async def list_payouts(
    store: Store,
    *,
    status: str | None = None,
    node_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Payout]:
    if status is not None and status not in keys.PAYOUT_STATUSES:
        raise InvalidInput(
            f"Unknown payout status {status!r}; use one of {', '.join(keys.PAYOUT_STATUSES)}."
        )
    if node_id:
        index = keys.node_payouts(store, node_id)
    elif status:
        index = keys.by_status(store, "payouts", status)
    else:
        index = keys.index(store, "payouts")
    rows = await _newest(store, index, keys.payout, limit, offset)
    found = [payout_from(h) for h in rows]
    return [p for p in found if status is None or p.status == status]


async def list_purchases(
    store: Store, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[Purchase]:
    if status is not None and status not in keys.PURCHASE_STATUSES:
        raise InvalidInput(
            f"Unknown purchase status {status!r}; use one of {', '.join(keys.PURCHASE_STATUSES)}."
        )
    index = keys.by_status(store, "purchases", status) if status else keys.index(store, "purchases")
    return [purchase_from(h) for h in await _newest(store, index, keys.purchase, limit, offset)]


async def list_refunds(store: Store, *, limit: int = 50, offset: int = 0) -> list[Refund]:
    rows = await _newest(store, keys.index(store, "refunds"), keys.refund, limit, offset)
    return [refund_from(h) for h in rows]
