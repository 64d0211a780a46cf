"""Stripe's processing fee on each payment, booked from the charge's balance transaction.

Stripe takes its fee out of every charge before the money reaches our balance; the balance
transaction of the charge (`balance_transaction`, expanded) states it in `fee`. The platform pays
it: `platform` → `stripe_fees`, once per purchase (book_stripe_fee.lua). A purchase is queued
when its payment is booked and the dispatcher reads its charge from Stripe; a charge whose
balance transaction is not there yet, or a Stripe that cannot be reached, is looked at again
later. Reconcile books any fee still missing before it compares cash with Stripe's balance.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe

from core.models.records.fields import decode_hash
from core.models.records.purchase import PurchaseRecord
from core.payments import archived, outbox
from core.payments.amounts import stripe_cents
from core.payments.client import Payments, as_dict
from core.payments.errors import describe
from core.store import Store, calls

log = logging.getLogger("lcn.payments")

RETRY_MS = 60_000  # a fee not readable yet is looked at again a minute later
PAID = ("paid", "refunded", "mismatch")  # the money arrived, so Stripe took a fee


async def queue(store: Store, purchase_id: str, *, now: int | None = None) -> None:
    await store.redis.zadd(store.keys.fees_due, {purchase_id: now or outbox.now_ms()})


def _balance_transaction(intent: dict[str, Any]) -> dict[str, Any] | str | None:
    charge = intent.get("latest_charge")
    if not isinstance(charge, dict):
        return None
    txn = charge.get("balance_transaction")
    return txn if isinstance(txn, dict | str) and txn else None


async def book(store: Store, payments: Payments, purchase_id: str, *, now: int) -> str:
    """Read the purchase's charge fee from Stripe and book it: 'booked', 'duplicate',
    'waiting' (not paid yet, or Stripe has no balance transaction for it yet) or 'unknown'.
    Raises stripe.StripeError when Stripe cannot answer."""
    raw = await store.redis.hgetall(store.keys.purchase(purchase_id))
    found = decode_hash(raw) if raw else await archived.find(store, "purchase", purchase_id)
    if not found:
        return "unknown"  # an archived one is restored by book_stripe_fee.lua when booked
    rec = PurchaseRecord.from_hash(found)
    if rec.stripe_fee is not None:
        return "duplicate"
    intent_id = rec.payment_intent
    if rec.status not in PAID or not intent_id:
        return "waiting"
    if not rec.paid_micro:
        # Nothing arrived (a mismatch of $0): no charge, so no fee, and nothing to ask Stripe
        # every minute for ever. Booked as 0, which takes it off the queue.
        return await calls.book_stripe_fee(store, purchase_id, "0", "", now)
    intent = as_dict(
        await payments.stripe.v1.payment_intents.retrieve_async(
            intent_id, {"expand": ["latest_charge.balance_transaction"]}
        )
    )
    txn = _balance_transaction(intent)
    if isinstance(txn, str):
        txn = as_dict(await payments.stripe.v1.balance_transactions.retrieve_async(txn))
    if txn is None:
        return "waiting"
    fee = stripe_cents(txn, "fee", positive=False)
    return await calls.book_stripe_fee(store, purchase_id, str(fee), str(txn.get("id") or ""), now)


async def book_due(
    store: Store, payments: Payments, *, now: int | None = None, limit: int = 20
) -> int:
    """Book the fees of queued purchases that are due; how many were booked."""
    at = now or outbox.now_ms()
    due = await store.redis.zrangebyscore(store.keys.fees_due, "-inf", at, start=0, num=limit)
    booked = 0
    for raw in due:
        purchase_id = raw.decode()
        try:
            outcome = await book(store, payments, purchase_id, now=at)
        except stripe.StripeError as exc:
            log.warning("stripe fee of purchase %s not read: %s", purchase_id, describe(exc))
            outcome = "waiting"
        if outcome == "waiting":
            await store.redis.zadd(store.keys.fees_due, {purchase_id: at + RETRY_MS})
            continue
        booked += outcome == "booked"
        await store.redis.zrem(store.keys.fees_due, purchase_id)
    return booked


async def book_missing(
    store: Store, payments: Payments, purchases: list[PurchaseRecord], *, now: int | None = None
) -> None:
    """Book the fee of every purchase given whose money arrived and whose fee is not booked."""
    at = now or outbox.now_ms()
    for rec in purchases:
        if rec.status in PAID and rec.stripe_fee is None:
            pid = rec.purchase_id
            try:
                if await book(store, payments, pid, now=at) == "booked":
                    await store.redis.zrem(store.keys.fees_due, pid)
            except stripe.StripeError as exc:
                log.warning("stripe fee of purchase %s not read: %s", pid, describe(exc))
