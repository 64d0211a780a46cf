"""Credit bought through Checkout or a PaymentIntent lands once, on the signed webhook; a
declined payment lands nothing; with payments on a creator needs credit to submit."""

from __future__ import annotations

import pytest

from core import ledger
from core.devkit.standin_api import StripeStandIn
from core.errors import InvalidInput
from core.payments import purchases, records
from core.payments.client import Payments
from core.payments.errors import PaymentDeclined
from core.store import Store
from core.submission import submit
from tests.jobfactory import CREATOR, job_body
from tests.payments.conftest import Webhooks, paid_credit
from tests.payments.fakes import RecordingHTTPClient

CREDIT = ledger.creator_account(CREATOR)


async def test_checkout_credit_lands_once_however_often_stripe_delivers(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    mixed_case = "0x" + CREATOR[2:].upper()  # the same creator, however it is written
    checkout = await purchases.buy_credit(store, payments, mixed_case, 25_000_000)
    assert checkout.checkout_url and checkout.session_id
    [create] = http.writes("/v1/checkout/sessions")
    assert create.idempotency_key == f"lcn-{store.pool}-checkout-{checkout.purchase_id}-1"
    assert create.params["line_items"][0]["price_data"]["unit_amount"] == "2500"
    assert create.params["payment_intent_data"]["metadata"]["lcn_purchase"] == checkout.purchase_id
    assert await ledger.balance(store, CREDIT) == 0  # nothing before Stripe confirms
    stand_in.complete_checkout(checkout.session_id)
    results = await hooks.flush()
    # payment_intent.succeeded and checkout.session.completed both name the purchase.
    assert {r.type for r in results if r.outcome == "handled"} >= {
        "payment_intent.succeeded",
        "checkout.session.completed",
    }
    assert await ledger.balance(store, CREDIT) == 25_000_000
    # Stripe delivers every event again, and once more with a fresh signature.
    for event in list(stand_in.events):
        again = await hooks.deliver(event)
        assert again.outcome == "duplicate"
    assert await ledger.balance(store, CREDIT) == 25_000_000
    purchase = await records.get_purchase(store, checkout.purchase_id)
    assert purchase.status == "paid" and purchase.payment_intent
    assert (await ledger.check(store)).ok


async def test_a_payment_intent_credit_and_a_declined_card(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    with pytest.raises(PaymentDeclined, match="declined"):
        await purchases.buy_credit_intent(
            store, payments, CREATOR, 10_000_000, payment_method="pm_card_chargeDeclined"
        )
    [declined] = await records.list_purchases(store)
    assert declined.status == "failed" and "declined" in (declined.error or "").lower()
    await hooks.flush()  # charge.failed, payment_intent.payment_failed
    assert await ledger.balance(store, CREDIT) == 0
    ok = await purchases.buy_credit_intent(
        store, payments, CREDIT.split(":")[1], 10_000_000, payment_method="pm_card_visa"
    )
    assert ok.status == "succeeded" and ok.payment_intent
    assert await ledger.balance(store, CREDIT) == 0  # the webhook, not the answer, credits
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 10_000_000


async def test_a_declined_checkout_then_paid_with_another_card(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    checkout = await purchases.buy_credit(store, payments, CREATOR, 5_000_000)
    assert checkout.session_id
    stand_in.complete_checkout(checkout.session_id, card="4000000000000002")
    await hooks.flush()
    failed = await records.get_purchase(store, checkout.purchase_id)
    assert failed.status == "failed" and "declined" in (failed.error or "")
    assert await ledger.balance(store, CREDIT) == 0
    stand_in.complete_checkout(checkout.session_id)
    await hooks.flush()
    assert (await records.get_purchase(store, checkout.purchase_id)).status == "paid"
    assert await ledger.balance(store, CREDIT) == 5_000_000


async def test_an_expired_checkout_books_nothing(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    checkout = await purchases.buy_credit(store, payments, CREATOR, 5_000_000)
    assert checkout.session_id
    stand_in.expire_checkout(checkout.session_id)
    await hooks.flush()
    assert (await records.get_purchase(store, checkout.purchase_id)).status == "expired"
    assert await ledger.balance(store, CREDIT) == 0


async def test_credit_amounts_are_whole_cents_within_stripes_limits(
    store: Store, payments: Payments
) -> None:
    for bad in (10_000, 5_000_005, 10**12):
        with pytest.raises(InvalidInput):
            await purchases.buy_credit(store, payments, CREATOR, bad)
    with pytest.raises(InvalidInput, match="0x address"):
        await purchases.buy_credit(store, payments, "not-an-address", 5_000_000)


async def test_with_payments_on_a_creator_needs_credit_to_submit(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_lcn")
    with pytest.raises(InvalidInput, match=r"has \$0.00 of credit .* buy credit first"):
        await submit(store, job_body(), max_attempts=3)
    assert await store.redis.zcard(store.keys.jobs_all) == 0
    await paid_credit(store, payments, stand_in, hooks, 5_000_000)
    result = await submit(store, job_body(), max_attempts=3)
    assert result.job_id


async def test_with_payments_off_jobs_are_billed_on_account(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import register_node

    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    await register_node(store)
    result = await submit(store, job_body(), max_attempts=3)
    assert result.status == "assigned"
    # The hold makes the creator owe; nothing refused it.
    assert await ledger.balance(store, CREDIT) == -result.estimated_cost_micro_usd
