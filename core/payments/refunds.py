"""Refunds of purchases. An operator's refund is held in the ledger first (creator or platform →
`refunds`), sent to Stripe through the outbox with an idempotency key from our refund id, and
the ledger follows Stripe's answer. Refunds made outside lcn (the Stripe Dashboard) arrive by
webhook and are booked once per Stripe refund id: from the creator or the platform when we
credited the purchase, from `suspense` when we never did (a `mismatch`). A refund that Stripe
later reports `failed` or `canceled` is reversed, once, whoever made it.

Every amount is checked before anything is written: an operator's is 'all' or whole cents above
$0 (core/payments/amounts.py); a webhook's must be a JSON integer of cents in range, or the event
is refused (400) with nothing written and nothing marked as seen."""

from __future__ import annotations

import logging
import re
from typing import Any

import stripe

from core.errors import Conflict
from core.models.records.fields import RawHash
from core.models.records.refund import RefundRecord
from core.payments import archived, outbox
from core.payments.amounts import (
    RefundAmount,
    StripeObjectRefused,
    check_refund_micro,
    stripe_cents,
)
from core.payments.cents import MICRO_PER_CENT, to_cents, to_micro
from core.payments.client import Payments, as_dict, idempotency_key, require
from core.payments.errors import describe, key_refused, retryable
from core.payments.records import Refund, get_refund
from core.store import Store, calls

log = logging.getLogger("lcn.payments")

ACCEPTED = ("succeeded", "pending")  # Stripe has taken the refund
REFUSED = ("failed", "canceled")
STRIPE_REFUND_ID_RE = re.compile(r"(re|pyr)_[A-Za-z0-9_]{1,200}")


async def settle(
    store: Store,
    refund_id: str,
    gen: str,
    outcome: str,
    *,
    stripe_refund: str,
    error: str,
    now: int,
) -> str:
    return await calls.settle_refund(store, refund_id, gen, outcome, stripe_refund, error, now)


async def send(
    store: Store,
    payments: Payments,
    claimed: RawHash,
    *,
    now: int,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> str:
    rec = RefundRecord.from_hash(claimed)
    refund_id, gen = rec.refund_id, rec.gen
    try:
        made = as_dict(
            await payments.stripe.v1.refunds.create_async(
                {
                    "payment_intent": rec.payment_intent or "",
                    "amount": to_cents(rec.amount),
                    "reason": "requested_by_customer",
                    "metadata": {
                        "lcn_pool": store.pool,
                        "lcn_refund": refund_id,
                        "lcn_purchase": rec.purchase_id,
                    },
                },
                {"idempotency_key": idempotency_key(store.pool, "refund", refund_id, gen)},
            )
        )
    except stripe.StripeError as exc:
        message = describe(exc)
        if key_refused(exc):
            # Stripe refused our API key and did nothing: sending again with it cannot help, so
            # the refund fails back where it came from at once; refund again once it is fixed.
            log.warning("refund %s not sent: %s", refund_id, message)
            return await settle(
                store,
                refund_id,
                gen,
                "failed",
                stripe_refund="",
                error=f"{message[:-1]}; fix STRIPE_SECRET_KEY and refund again.",
                now=now,
            )
        if retryable(exc):
            retry_at = policy.retry_at(now, rec.attempts or 1)
            await outbox.defer(
                store, f"refund:{refund_id}", gen, now=now, retry_at=retry_at, error=message
            )
            return "pending"
        log.warning("refund %s failed: %s", refund_id, message)
        return await settle(
            store, refund_id, gen, "failed", stripe_refund="", error=message, now=now
        )
    status = str(made.get("status", ""))
    if status in ACCEPTED:
        return await settle(
            store, refund_id, gen, "succeeded", stripe_refund=made["id"], error="", now=now
        )
    if status in REFUSED:
        reason = made.get("failure_reason") or status
        return await settle(
            store,
            refund_id,
            gen,
            "failed",
            stripe_refund=made["id"],
            error=f"Stripe could not refund: {reason}.",
            now=now,
        )
    return "sent"  # requires_action: the refund.updated webhook settles it


async def refund(
    store: Store,
    payments: Payments | None,
    purchase_id: str,
    *,
    amount_micro: RefundAmount,
    reason: str = "",
    operator: str = "",
    now: int | None = None,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> Refund:
    """Refund `amount_micro` of a purchase ('all': all that is left) and send it to Stripe.
    The amount is whole cents in (0, what is left]; nothing else is read as 'all'."""
    client = require(payments)
    amount = check_refund_micro(amount_micro)
    at = now or outbox.now_ms()
    refund_id = outbox.new_id("rf")
    await calls.reserve_refund(
        store, purchase_id, refund_id, str(amount), reason[:200], operator[:100], at
    )
    rec = await outbox.claim(store, f"refund:{refund_id}", now=at, policy=policy)
    if rec is not None:
        await send(store, client, rec, now=at, policy=policy)
    return await get_refund(store, refund_id)


async def _record(store: Store, refund_id: str) -> RefundRecord | None:
    """The refund, live or archived: a redelivered Dashboard refund is a duplicate either way
    (and record_external_refund.lua refuses it again if it was archived meanwhile)."""
    raw = await store.redis.hgetall(store.keys.refund(refund_id))
    if raw:
        return RefundRecord.from_hash(raw)
    old = await archived.find(store, "refund", refund_id)
    return None if old is None else RefundRecord.from_hash(old)


def _refusal(obj: dict[str, Any], status: str) -> str:
    return str(obj.get("failure_reason") or status)


async def _reverse(store: Store, rec: RefundRecord, obj: dict[str, Any]) -> str:
    """A refund booked as paid out that Stripe now reports failed or canceled: the money comes
    back (world → where it came from), once; a concurrent delivery that lost the race is a
    duplicate."""
    try:
        return await settle(
            store,
            rec.refund_id,
            rec.gen,
            "reversed",
            stripe_refund=str(obj["id"]),
            error="The refund failed after Stripe accepted it: "
            f"{_refusal(obj, str(obj.get('status')))}.",
            now=outbox.now_ms(),
        )
    except Conflict:
        return "duplicate"


async def on_stripe_refund(store: Store, obj: dict[str, Any]) -> str:
    """A refund object from a webhook (refund.created/updated/failed, charge.refund.updated).

    Its id and amount are checked first (a Stripe refund id; whole cents above 0 and below 2^53
    micro-USD, a JSON integer): anything else is refused before the first write."""
    sid = obj.get("id")
    if not isinstance(sid, str) or not STRIPE_REFUND_ID_RE.fullmatch(sid):
        raise StripeObjectRefused("The refund's id is not a Stripe refund id.")
    cents = stripe_cents(obj, "amount", positive=True)
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise StripeObjectRefused("The refund's metadata is not an object.")
    status = str(obj.get("status", ""))
    ours = metadata.get("lcn_refund")
    now = outbox.now_ms()
    if ours:
        if metadata.get("lcn_pool") != store.pool:
            return "ignored"
        rec = await _record(store, str(ours))
        if rec is None:
            return "unknown"
        if to_micro(cents) != rec.amount:
            raise StripeObjectRefused(
                f"Stripe refund {sid} is for {cents} cents, not the "
                f"{rec.amount // MICRO_PER_CENT} cents of our refund {ours}."
            )
        current = rec.status
        if status in ACCEPTED and current in ("pending", "sent"):
            # Our dispatcher died between Stripe's answer and its write: the webhook finishes.
            return await settle(
                store, ours, rec.gen, "succeeded", stripe_refund=sid, error="", now=now
            )
        if status in REFUSED and current in ("pending", "sent"):
            return await settle(
                store,
                ours,
                rec.gen,
                "failed",
                stripe_refund=sid,
                error=f"Stripe could not refund: {_refusal(obj, status)}.",
                now=now,
            )
        if status in REFUSED and current == "succeeded":
            return await _reverse(store, rec, obj)
        return "duplicate"
    # Made outside lcn (the Dashboard): booked once per Stripe refund id, reversed once.
    booked = await _record(store, f"ext-{sid}")
    if booked is not None:
        if status in REFUSED and booked.status == "succeeded":
            return await _reverse(store, booked, obj)
        return "duplicate"
    if status in ACCEPTED:
        outcome = "succeeded"
    elif status in REFUSED:
        outcome = "failed"  # failed before we saw it: recorded, nothing booked
    else:
        return "ignored"  # requires_action: a later refund.updated says how it ended
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if not intent:
        return "ignored"
    purchase_id = await store.redis.hget(store.keys.purchase_by_payment_intent, str(intent))
    if purchase_id is None:
        return "ignored"
    return await calls.record_external_refund(store, purchase_id.decode(), sid, cents, outcome, now)
