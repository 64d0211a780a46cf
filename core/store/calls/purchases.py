"""Purchases, their refunds, disputes and Stripe fees, and the outbox that sends to Stripe."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from core.store.calls.reply import text
from core.store.connection import Store


async def open_purchase(store: Store, fields: dict[str, Any], now_ms: int) -> None:
    await store.script(
        "open_purchase",
        [store.keys.purchase(fields["id"])],
        json.dumps(fields, separators=(",", ":")),
        now_ms,
    )


class PaymentBooked(TypedDict, total=False):
    """'paid', 'duplicate' (with the purchase's `status`), 'mismatch' or 'unknown'; a paid
    purchase says its `kind` (a 'sale' is handed over at once)."""

    outcome: str
    status: str
    kind: str


async def pay_purchase(
    store: Store,
    purchase_id: str,
    cents: int,
    payment_intent: str,
    session: str,
    charge: str,
    now_ms: int,
) -> PaymentBooked:
    reply: PaymentBooked = await store.script(
        "pay_purchase",
        [store.keys.purchase(purchase_id)],
        cents,
        payment_intent,
        session,
        charge,
        now_ms,
    )
    return reply


async def fail_purchase(
    store: Store, purchase_id: str, status: str, error: str, now_ms: int
) -> str:
    """The purchase's status after it ('failed' | 'expired', or what it already was)."""
    return text(
        await store.script(
            "fail_purchase", [store.keys.purchase(purchase_id)], status, error, now_ms
        )
    )


async def fulfil_purchase(
    store: Store, purchase_id: str, handed_over: Any, entitlement: str, now_ms: int
) -> None:
    await store.script(
        "fulfil_purchase",
        [store.keys.purchase(purchase_id)],
        json.dumps(handed_over, separators=(",", ":")),
        entitlement,
        now_ms,
    )


async def book_stripe_fee(
    store: Store, purchase_id: str, fee: str, balance_transaction: str, now_ms: int
) -> str:
    """'booked', 'duplicate', 'waiting' or 'unknown'."""
    return text(
        await store.script(
            "book_stripe_fee", [store.keys.purchase(purchase_id)], fee, balance_transaction, now_ms
        )
    )


async def reserve_refund(
    store: Store,
    purchase_id: str,
    refund_id: str,
    amount: str,
    reason: str,
    operator: str,
    now_ms: int,
) -> None:
    """Reserve a refund of `amount` ('all' or micro-USD) of a purchase."""
    await store.script(
        "reserve_refund",
        [store.keys.purchase(purchase_id)],
        refund_id,
        amount,
        reason,
        operator,
        now_ms,
    )


async def settle_refund(
    store: Store,
    refund_id: str,
    gen: str,
    outcome: str,
    stripe_refund: str,
    error: str,
    now_ms: int,
) -> str:
    """The refund's status after it."""
    reply = await store.script(
        "settle_refund", [store.keys.refund(refund_id)], gen, outcome, stripe_refund, error, now_ms
    )
    return str(reply["status"])


async def record_external_refund(
    store: Store, purchase_id: str, stripe_refund: str, cents: int, outcome: str, now_ms: int
) -> str:
    """A refund made in Stripe's dashboard: 'recorded', 'failed', 'duplicate' or 'unknown'."""
    return text(
        await store.script(
            "record_external_refund",
            [store.keys.purchase(purchase_id)],
            stripe_refund,
            str(cents),
            outcome,
            now_ms,
        )
    )


async def open_dispute(
    store: Store,
    purchase_id: str,
    dispute_id: str,
    cents: int,
    fee_cents: int,
    charge: str,
    now_ms: int,
) -> str:
    """'opened', 'duplicate' or 'unknown'."""
    return text(
        await store.script(
            "open_dispute",
            [store.keys.purchase(purchase_id), store.keys.dispute(dispute_id)],
            dispute_id,
            str(cents),
            str(fee_cents),
            charge,
            now_ms,
        )
    )


async def close_dispute(
    store: Store, dispute_id: str, outcome: str, fee_returned_cents: int, now_ms: int
) -> str:
    """The outcome ('won' | 'lost'), 'duplicate' or 'unknown'."""
    return text(
        await store.script(
            "close_dispute",
            [store.keys.dispute(dispute_id)],
            outcome,
            str(fee_returned_cents),
            now_ms,
        )
    )


def outbox_record(store: Store, member: str) -> str:
    """The record an outbox member ('payout:<id>' | 'refund:<id>') names."""
    kind, _, record_id = member.partition(":")
    if kind == "payout":
        return store.keys.payout(record_id)
    if kind == "refund":
        return store.keys.refund(record_id)
    raise ValueError(f"not an outbox member: {member!r}")


async def claim_outbox(
    store: Store, member: str, now_ms: int, claim_ms: int
) -> dict[str, str] | None:
    """Take a due record for sending; None when it is not due (or another dispatcher has it)."""
    reply = await store.script(
        "claim_outbox", [outbox_record(store, member)], member, now_ms, claim_ms
    )
    if not reply:
        return None
    return {k: str(v) for k, v in reply.items()}


async def defer_outbox(
    store: Store, member: str, gen: str, now_ms: int, retry_at: int, error: str
) -> bool:
    """Whether the record was deferred (False: it moved on, or is another generation)."""
    reply = await store.script(
        "defer_outbox", [outbox_record(store, member)], member, gen, now_ms, retry_at, error
    )
    return bool(reply)
