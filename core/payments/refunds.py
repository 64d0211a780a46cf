"""Refunds of purchases. An operator's refund is held in the ledger first (creator or platform →
`refunds`), sent to Stripe through the outbox with an idempotency key from our refund id, and
the ledger follows Stripe's answer. Refunds made outside lcn (the Stripe Dashboard) arrive by
webhook and are booked once per Stripe refund id."""

from __future__ import annotations

import logging
from typing import Any

import stripe

from core.errors import InvalidInput
from core.payments import keys, outbox
from core.payments.cents import to_cents, to_micro
from core.payments.client import Payments, as_dict, idempotency_key, require
from core.payments.errors import describe, retryable
from core.payments.records import Refund, get_refund, raw_record
from core.store import Store

log = logging.getLogger("lcn.payments")

ACCEPTED = ("succeeded", "pending")  # Stripe has taken the refund
REFUSED = ("failed", "canceled")


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
    reply = await store.script(
        "settle_refund", [keys.refund(store, refund_id)], gen, outcome, stripe_refund, error, now
    )
    return str(reply["status"])


async def send(
    store: Store,
    payments: Payments,
    rec: dict[str, str],
    *,
    now: int,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> str:
    refund_id, gen = rec["id"], rec["gen"]
    try:
        made = as_dict(
            await payments.stripe.v1.refunds.create_async(
                {
                    "payment_intent": rec["payment_intent"],
                    "amount": to_cents(int(rec["amount"])),
                    "reason": "requested_by_customer",
                    "metadata": {
                        "lcn_pool": store.pool,
                        "lcn_refund": refund_id,
                        "lcn_purchase": rec["purchase"],
                    },
                },
                {"idempotency_key": idempotency_key(store.pool, "refund", refund_id, gen)},
            )
        )
    except stripe.StripeError as exc:
        message = describe(exc)
        if retryable(exc):
            retry_at = policy.retry_at(now, int(rec.get("attempts") or 1))
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
    amount_micro: int = 0,
    reason: str = "",
    operator: str = "",
    now: int | None = None,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> Refund:
    """Refund `amount_micro` of a paid purchase (0: all that is left) and send it to Stripe."""
    client = require(payments)
    if amount_micro < 0:
        raise InvalidInput("A refund amount cannot be negative.")
    at = now or outbox.now_ms()
    refund_id = outbox.new_id("rf")
    await store.script(
        "reserve_refund",
        [keys.purchase(store, purchase_id)],
        refund_id,
        amount_micro,
        reason[:200],
        operator[:100],
        at,
    )
    rec = await outbox.claim(store, f"refund:{refund_id}", now=at, policy=policy)
    if rec is not None:
        await send(store, client, rec, now=at, policy=policy)
    return await get_refund(store, refund_id)


async def on_stripe_refund(store: Store, obj: dict[str, Any]) -> str:
    """A refund object from a webhook (refund.created/updated/failed, charge.refund.updated)."""
    metadata = obj.get("metadata") or {}
    status = str(obj.get("status", ""))
    ours = metadata.get("lcn_refund")
    now = outbox.now_ms()
    if ours:
        if metadata.get("lcn_pool") != store.pool:
            return "ignored"
        rec = await raw_record(store, keys.refund(store, ours))
        if not rec:
            return "unknown"
        current = rec["status"]
        if status in ACCEPTED and current in ("pending", "sent"):
            # Our dispatcher died between Stripe's answer and its write: the webhook finishes.
            return await settle(
                store, ours, rec["gen"], "succeeded", stripe_refund=obj["id"], error="", now=now
            )
        if status in REFUSED and current in ("pending", "sent"):
            return await settle(
                store,
                ours,
                rec["gen"],
                "failed",
                stripe_refund=obj["id"],
                error=f"Stripe could not refund: {obj.get('failure_reason') or status}.",
                now=now,
            )
        if status in REFUSED and current == "succeeded":
            return await settle(
                store,
                ours,
                rec["gen"],
                "reversed",
                stripe_refund=obj["id"],
                error=f"The refund failed after Stripe accepted it: "
                f"{obj.get('failure_reason') or status}.",
                now=now,
            )
        return "duplicate"
    if status not in ACCEPTED:
        return "ignored"
    intent = obj.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    if not intent:
        return "ignored"
    purchase_id = await store.redis.hget(keys.purchase_by_payment_intent(store), str(intent))
    if purchase_id is None:
        return "ignored"
    reply = await store.script(
        "record_external_refund",
        [keys.purchase(store, purchase_id.decode())],
        str(obj["id"]),
        to_micro(int(obj.get("amount") or 0)),
        now,
    )
    return str(reply)
