"""Money in: prepaid compute credit and catalog sales, through Stripe Checkout or a
PaymentIntent. We record the purchase first, then ask Stripe (idempotency key from the purchase
id); nothing is credited or handed over until the signed webhook says it was paid."""

from __future__ import annotations

import secrets
from typing import Any

import stripe

from core.errors import InvalidInput
from core.models.base import WireModel
from core.models.node import ADDRESS_RE
from core.money import format_usd, micro_to_json
from core.payments import catalog, fees, outbox, pkp
from core.payments.cents import to_cents
from core.payments.client import Payments, as_dict, idempotency_key, require
from core.payments.errors import as_refusal, describe
from core.store import Store, calls

MIN_CHARGE_MICRO = 500_000  # Stripe's smallest USD charge: $0.50
MAX_CREDIT_MICRO = 10_000_000_000  # $10,000 per purchase
DEFAULT_SUCCESS_URL = "http://127.0.0.1:8080/stripe/checkout/success"
DEFAULT_CANCEL_URL = "http://127.0.0.1:8080/stripe/checkout/cancel"


class Checkout(WireModel):
    """What a buyer needs next: the hosted Checkout page, or the PaymentIntent's client secret."""

    purchase_id: str
    kind: str
    sku: str
    amount: float
    amount_micro_usd: int
    checkout_url: str | None = None
    session_id: str | None = None
    payment_intent: str | None = None
    client_secret: str | None = None
    status: str = "open"
    keystore_password: str | None = None


def _buyer(address: str) -> str:
    if not ADDRESS_RE.fullmatch(address):
        raise InvalidInput("The buyer must be a 0x address of 40 hex digits.")
    return address.lower()


def check_credit_amount(amount_micro: int) -> None:
    to_cents(amount_micro)
    if not MIN_CHARGE_MICRO <= amount_micro <= MAX_CREDIT_MICRO:
        raise InvalidInput(
            f"Credit is bought in amounts from {format_usd(MIN_CHARGE_MICRO)} "
            f"to {format_usd(MAX_CREDIT_MICRO)}."
        )


def _metadata(store: Store, purchase_id: str, kind: str) -> dict[str, str]:
    return {"lcn_pool": store.pool, "lcn_purchase": purchase_id, "lcn_kind": kind}


async def _open(store: Store, fields: dict[str, Any]) -> None:
    await calls.open_purchase(store, fields, outbox.now_ms())


async def _failed(store: Store, purchase_id: str, error: str) -> None:
    await calls.fail_purchase(store, purchase_id, "failed", error, outbox.now_ms())


async def _checkout(
    store: Store,
    payments: Payments,
    fields: dict[str, Any],
    *,
    success_url: str,
    cancel_url: str,
) -> Checkout:
    purchase_id, amount = fields["id"], int(fields["amount"])
    await _open(store, fields)
    metadata = _metadata(store, purchase_id, fields["kind"])
    try:
        session = as_dict(
            await payments.stripe.v1.checkout.sessions.create_async(
                {
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": "usd",
                                "unit_amount": to_cents(amount),
                                "product_data": {
                                    "name": fields["description"],
                                    "metadata": {"lcn_sku": fields["sku"]},
                                },
                            },
                        }
                    ],
                    "client_reference_id": purchase_id,
                    "metadata": metadata,
                    "payment_intent_data": {
                        "metadata": metadata,
                        "description": f"lcn {fields['description']} ({purchase_id})",
                    },
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                },
                {"idempotency_key": idempotency_key(store.pool, "checkout", purchase_id)},
            )
        )
    except stripe.StripeError as exc:
        await _failed(store, purchase_id, describe(exc))
        raise as_refusal(exc) from None
    await store.redis.hset(
        store.keys.purchase(purchase_id),
        mapping={"session": session["id"], "checkout_url": session.get("url") or ""},
    )
    return Checkout(
        purchase_id=purchase_id,
        kind=fields["kind"],
        sku=fields["sku"],
        amount=micro_to_json(amount),
        amount_micro_usd=amount,
        checkout_url=session.get("url"),
        session_id=session["id"],
    )


async def buy_credit(
    store: Store,
    payments: Payments | None,
    creator: str,
    amount_micro: int,
    *,
    success_url: str = DEFAULT_SUCCESS_URL,
    cancel_url: str = DEFAULT_CANCEL_URL,
) -> Checkout:
    """A Checkout Session for `amount_micro` of prepaid compute credit for `creator`."""
    client = require(payments)
    check_credit_amount(amount_micro)
    fields = {
        "id": outbox.new_id("pu"),
        "kind": "credit",
        "sku": "credit",
        "description": f"Compute credit {format_usd(amount_micro)}",
        "buyer": _buyer(creator),
        "amount": amount_micro,
        "ref": "",
    }
    return await _checkout(store, client, fields, success_url=success_url, cancel_url=cancel_url)


async def buy_credit_intent(
    store: Store,
    payments: Payments | None,
    creator: str,
    amount_micro: int,
    *,
    payment_method: str | None = None,
) -> Checkout:
    """A PaymentIntent for credit: its client secret for a browser (Stripe Elements), or — with
    `payment_method` — confirmed at once server-side. A declined card raises PaymentDeclined
    and marks the purchase failed; credit still only lands on the webhook."""
    client = require(payments)
    check_credit_amount(amount_micro)
    purchase_id = outbox.new_id("pu")
    fields = {
        "id": purchase_id,
        "kind": "credit",
        "sku": "credit",
        "description": f"Compute credit {format_usd(amount_micro)}",
        "buyer": _buyer(creator),
        "amount": amount_micro,
        "ref": "",
    }
    await _open(store, fields)
    params: dict[str, Any] = {
        "amount": to_cents(amount_micro),
        "currency": "usd",
        "description": f"lcn {fields['description']} ({purchase_id})",
        "metadata": _metadata(store, purchase_id, "credit"),
    }
    if payment_method:
        params.update(payment_method=payment_method, confirm=True)
        params["automatic_payment_methods"] = {"enabled": True, "allow_redirects": "never"}
    else:
        params["automatic_payment_methods"] = {"enabled": True}
    try:
        intent = as_dict(
            await client.stripe.v1.payment_intents.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key(store.pool, "intent", purchase_id)},
            )
        )
    except stripe.StripeError as exc:
        await _failed(store, purchase_id, describe(exc))
        raise as_refusal(exc) from None
    await store.redis.hset(store.keys.purchase(purchase_id), "payment_intent", intent["id"])
    return Checkout(
        purchase_id=purchase_id,
        kind="credit",
        sku="credit",
        amount=micro_to_json(amount_micro),
        amount_micro_usd=amount_micro,
        payment_intent=intent["id"],
        client_secret=intent.get("client_secret"),
        status=str(intent.get("status", "")),
    )


async def buy_item(
    store: Store,
    payments: Payments | None,
    sku: str,
    buyer: str,
    *,
    ref: str | None = None,
    password: str | None = None,
    success_url: str = DEFAULT_SUCCESS_URL,
    cancel_url: str = DEFAULT_CANCEL_URL,
) -> Checkout:
    """A Checkout Session for a catalog item. A PKP sale needs a keystore password: the
    buyer's, or one made here and returned once in `keystorePassword` (kept on the purchase
    only until the keystore is made)."""
    client = require(payments)
    entry = catalog.item(sku)
    if entry.check_ref is not None:
        if not ref:
            raise InvalidInput(f"A {entry.name} purchase needs a reference (--ref).")
        ref = entry.check_ref(ref)
    elif ref:
        raise InvalidInput(f"A {entry.name} purchase takes no reference.")
    made_password = None
    secret = ""
    if sku == "pkp":
        if password is None:
            password = made_password = secrets.token_urlsafe(18)
        pkp.check_password(password)
        secret = password
    fields = {
        "id": outbox.new_id("pu"),
        "kind": "sale",
        "sku": sku,
        "description": entry.name + (f" {ref}" if ref else ""),
        "buyer": _buyer(buyer),
        "amount": entry.price_micro,
        "ref": ref or "",
        "secret": secret,
    }
    checkout = await _checkout(
        store, client, fields, success_url=success_url, cancel_url=cancel_url
    )
    return checkout.model_copy(update={"keystore_password": made_password})


async def paid(
    store: Store,
    purchase_id: str,
    *,
    cents: int,
    payment_intent: str = "",
    session: str = "",
    charge: str = "",
    now: int | None = None,
) -> str:
    """Book a payment Stripe confirmed (from the webhook); 'paid', 'duplicate', 'mismatch' or
    'unknown'. A paid sale is handed over at once (or by the dispatcher if that fails)."""
    reply = await calls.pay_purchase(
        store, purchase_id, cents, payment_intent, session, charge, now or outbox.now_ms()
    )
    outcome = reply["outcome"]
    if outcome in ("paid", "mismatch"):
        await fees.queue(store, purchase_id)  # Stripe's fee on the charge, read by the dispatcher
    if outcome == "paid" and reply.get("kind") == "sale":
        await catalog.fulfil(store, purchase_id)
    return outcome


async def not_paid(store: Store, purchase_id: str, status: str, error: str) -> str:
    """A declined payment ('failed') or an expired Checkout Session ('expired')."""
    return await calls.fail_purchase(store, purchase_id, status, error, outbox.now_ms())
