"""The Stripe webhook: verify, de-duplicate, act — each event type idempotently.

Verification is Stripe's own (`stripe.WebhookSignature.verify_header`): an HMAC-SHA256 of
`"{t}.{body}"` with the endpoint's secret, and `t` within the tolerance (we also refuse a `t`
too far in the future). A forged, stale or malformed delivery is refused before anything is
read or written. An event id already handled is acknowledged and dropped; the handlers are
idempotent as well (exactly-once effects come from the scripts), so two concurrent deliveries
of one event are harmless. Every amount an event carries is checked (a JSON integer of cents,
not negative, below 2^53 micro-USD: core/payments/amounts.py) before anything is written; a
genuine event that fails it is refused like a forged one and is not marked as seen.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import stripe

from core.errors import InvalidInput
from core.models.base import WireModel
from core.payments import disputes, onboarding, purchases, refunds, reversals
from core.payments.amounts import stripe_cents
from core.payments.mode import PaymentsOff
from core.store import Store

log = logging.getLogger("lcn.payments")

TOLERANCE_S = 300
SEEN_TTL_S = 30 * 86400  # Stripe retries a delivery for up to three days
EVENT_ID_RE = re.compile(r"^evt_[A-Za-z0-9_]{1,200}$")
MAX_BODY = 512 * 1024


class WebhookRefused(InvalidInput):
    """Not a genuine, fresh Stripe event: answered 400, nothing changed."""


class WebhookResult(WireModel):
    event_id: str
    type: str
    outcome: Literal["handled", "duplicate", "ignored"]
    detail: str


def verify(
    payload: bytes, signature: str | None, secret: str | None, *, tolerance_s: int = TOLERANCE_S
) -> dict[str, Any]:
    """The event, if `payload` is a genuine and fresh Stripe event; else WebhookRefused."""
    if not secret:
        raise PaymentsOff("Stripe webhooks are off: set STRIPE_WEBHOOK_SECRET to receive them.")
    if len(payload) > MAX_BODY:
        raise WebhookRefused("The webhook body is too large to be a Stripe event.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRefused("The webhook body is not UTF-8 text.") from None
    try:
        stripe.WebhookSignature.verify_header(text, signature, secret, tolerance_s)
    except stripe.SignatureVerificationError as exc:
        reason = str(exc.user_message or "bad signature").rstrip(".")
        raise WebhookRefused(f"The Stripe signature does not verify: {reason}.") from None
    # Stripe's check bounds only the past; a timestamp from the future is as suspect.
    stamp = re.search(r"(?:^|,)t=(\d+)", signature or "")
    if stamp and int(stamp.group(1)) > time.time() + tolerance_s:
        raise WebhookRefused("The Stripe signature's timestamp is in the future.")
    try:
        event = json.loads(text)
    except ValueError:
        raise WebhookRefused("The webhook body is not JSON.") from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and EVENT_ID_RE.fullmatch(event["id"])
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise WebhookRefused("The webhook body is not a Stripe event (id, type, data.object).")
    return event


Handler = Callable[[Store, dict[str, Any]], Awaitable[str]]


def _id(value: Any) -> str:
    """A Stripe reference that may come expanded (an object) or as its id."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _ours(store: Store, obj: dict[str, Any]) -> str | None:
    """Our purchase id for a Stripe object, when it belongs to this pool."""
    metadata = obj.get("metadata") or {}
    if metadata.get("lcn_pool") != store.pool:
        return None
    purchase_id = metadata.get("lcn_purchase") or obj.get("client_reference_id")
    return str(purchase_id) if purchase_id else None


async def _session_paid(store: Store, obj: dict[str, Any]) -> str:
    purchase_id = _ours(store, obj)
    if purchase_id is None:
        return "ignored"
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return "waiting"  # an asynchronous payment method: async_payment_succeeded follows
    cents = stripe_cents(obj, "amount_total", positive=False)  # refused (400) before any write
    return await purchases.paid(
        store,
        purchase_id,
        cents=cents,
        payment_intent=_id(obj.get("payment_intent")),
        session=str(obj.get("id") or ""),
    )


async def _intent_succeeded(store: Store, obj: dict[str, Any]) -> str:
    purchase_id = _ours(store, obj)
    if purchase_id is None:
        return "ignored"
    cents = stripe_cents(
        obj, "amount_received" if "amount_received" in obj else "amount", positive=False
    )
    return await purchases.paid(
        store,
        purchase_id,
        cents=cents,
        payment_intent=str(obj.get("id") or ""),
        charge=_id(obj.get("latest_charge")),
    )


async def _intent_failed(store: Store, obj: dict[str, Any]) -> str:
    purchase_id = _ours(store, obj)
    if purchase_id is None:
        return "ignored"
    error = obj.get("last_payment_error") or {}
    message = str(error.get("message") or "The payment failed.")
    return await purchases.not_paid(store, purchase_id, "failed", f"Declined: {message}")


async def _session_failed(store: Store, obj: dict[str, Any]) -> str:
    purchase_id = _ours(store, obj)
    if purchase_id is None:
        return "ignored"
    return await purchases.not_paid(store, purchase_id, "failed", "The payment failed.")


async def _session_expired(store: Store, obj: dict[str, Any]) -> str:
    purchase_id = _ours(store, obj)
    if purchase_id is None:
        return "ignored"
    return await purchases.not_paid(store, purchase_id, "expired", "The Checkout Session expired.")


async def _refund(store: Store, obj: dict[str, Any]) -> str:
    return await refunds.on_stripe_refund(store, obj)


async def _account(store: Store, obj: dict[str, Any]) -> str:
    node_id = await onboarding.account_updated(store, obj)
    return "ignored" if node_id is None else f"node {node_id}"


async def _transfer_reversed(store: Store, obj: dict[str, Any]) -> str:
    return await reversals.on_transfer_reversed(store, obj)


async def _dispute(store: Store, obj: dict[str, Any]) -> str:
    return await disputes.on_dispute(store, obj)


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "checkout.session.async_payment_failed": _session_failed,
    "checkout.session.expired": _session_expired,
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "charge.refund.updated": _refund,
    "account.updated": _account,
    "transfer.reversed": _transfer_reversed,
    "charge.dispute.created": _dispute,
    "charge.dispute.closed": _dispute,
}


async def handle(
    store: Store,
    payload: bytes,
    signature: str | None,
    secret: str | None,
    *,
    tolerance_s: int = TOLERANCE_S,
) -> WebhookResult:
    """Verify and act on one delivery. Raises WebhookRefused (→ 400) for anything not genuine;
    an event already seen is acknowledged as a duplicate and changes nothing."""
    event = verify(payload, signature, secret, tolerance_s=tolerance_s)
    event_id, kind = event["id"], event["type"]
    seen = store.keys.webhook_event(event_id)
    if await store.redis.exists(seen):
        return WebhookResult(event_id=event_id, type=kind, outcome="duplicate", detail="seen")
    handler = HANDLERS.get(kind)
    detail = (
        "not a type lcn acts on"
        if handler is None
        else await handler(store, event["data"]["object"])
    )
    # Remembered only once handled: if we die before this, Stripe's redelivery finishes the job.
    await store.redis.set(seen, f"{kind}|{detail}", ex=SEEN_TTL_S)
    outcome: Literal["handled", "ignored"] = (
        "ignored" if handler is None or detail == "ignored" else "handled"
    )
    log.info("stripe event %s %s: %s", event_id, kind, detail)
    return WebhookResult(event_id=event_id, type=kind, outcome=outcome, detail=detail)
