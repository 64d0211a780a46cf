"""Catalog sales fulfilled exactly once (a PKP sale's keystore opens to a working key), and
refunds: through Stripe with the ledger following, from the Dashboard, and failing later."""

from __future__ import annotations

import pytest

from core import ledger, registry
from core.devkit.standin_api import StripeStandIn
from core.errors import Conflict, InvalidInput
from core.payments import catalog, dispatch, pkp, purchases, records, refunds
from core.payments.client import Payments
from core.store import Store
from tests.helpers import register_body
from tests.jobfactory import CREATOR
from tests.payments.conftest import Webhooks, paid_credit
from tests.payments.fakes import RecordingHTTPClient

BUYER = "0x" + "cd" * 20
CREDIT = ledger.creator_account(CREATOR)


async def test_a_pkp_sale_hands_over_one_keystore_that_opens_to_a_working_key(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    checkout = await purchases.buy_item(store, payments, "pkp", BUYER)
    password = checkout.keystore_password
    assert password and checkout.session_id
    stand_in.complete_checkout(checkout.session_id)
    await hooks.flush()
    sold = await records.get_purchase(store, checkout.purchase_id)
    assert sold.status == "paid" and sold.fulfilment == "done" and sold.delivery
    raw = await store.redis.hgetall(f"{store.keys.prefix}purchase:{sold.purchase_id}")
    assert b"secret" not in raw  # the password is gone once the keystore is made
    key = pkp.open_keystore(sold.delivery["keystore"], password)
    assert key.address == sold.delivery["address"] and key.public_key == sold.delivery["publicKey"]
    with pytest.raises(InvalidInput, match="password"):
        pkp.open_keystore(sold.delivery["keystore"], password + "x")
    # A working key: it signs a node registration the registry accepts.
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    node = await registry.register(store, register_body(key, challenge))
    assert node.pkp_address.lower() == key.address.lower()
    # Redelivered events and a second fulfilment attempt hand over nothing new.
    for event in list(stand_in.events):
        await hooks.deliver({**event, "id": event["id"] + "again"})
    await catalog.fulfil(store, sold.purchase_id)
    assert (await records.get_purchase(store, sold.purchase_id)).delivery == sold.delivery
    assert await catalog.entitled(store, BUYER, f"pkp:{key.address.lower()}")
    assert await ledger.balance(store, "platform") == 5_000_000


async def test_generic_items_run_their_hook_and_a_failed_hook_is_retried(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(InvalidInput, match="reference"):
        await purchases.buy_item(store, payments, "vr-asset", BUYER)
    checkout = await purchases.buy_item(store, payments, "vr-asset", BUYER, ref="castle.glb")
    assert checkout.session_id
    item = catalog.CATALOG["vr-asset"]
    calls = 0

    async def flaky(store_: Store, purchase: dict[str, str]) -> catalog.Delivery:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("asset store down")
        return await item.fulfil(store_, purchase)

    monkeypatch.setitem(
        catalog.CATALOG,
        "vr-asset",
        catalog.CatalogItem(
            item.sku, item.name, item.description, item.price_micro, flaky, item.check_ref
        ),
    )
    stand_in.complete_checkout(checkout.session_id)
    with pytest.raises(RuntimeError):
        await hooks.flush()  # the webhook answers 500; Stripe would deliver it again
    pending = await records.get_purchase(store, checkout.purchase_id)
    assert pending.status == "paid" and pending.fulfilment == "due"
    await dispatch.dispatch_due(store, payments)  # the orchestrator's hook finishes it
    done = await records.get_purchase(store, checkout.purchase_id)
    assert done.fulfilment == "done" and done.delivery and done.delivery["asset"] == "castle.glb"
    assert await catalog.entitled(store, BUYER, "asset:castle.glb")
    await hooks.flush()
    assert calls == 2


async def test_an_operator_refund_goes_through_stripe_and_the_ledger_follows(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 20_000_000)
    part = await refunds.refund(
        store, payments, purchase.purchase_id, amount_micro=5_000_000, operator="ops"
    )
    assert part.status == "succeeded" and part.stripe_refund_id
    assert await ledger.balance(store, CREDIT) == 15_000_000
    [write] = http.writes("/v1/refunds")
    assert write.idempotency_key == f"lcn-{store.pool}-refund-{part.refund_id}-1"
    assert write.params["amount"] == "500"
    await hooks.flush()  # refund.created for our own refund: nothing more happens
    assert await ledger.balance(store, CREDIT) == 15_000_000
    with pytest.raises(InvalidInput, match=r"\$15.00 left"):
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro=16_000_000)
    with pytest.raises(InvalidInput, match="whole number of cents"):
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_001)
    rest = await refunds.refund(store, payments, purchase.purchase_id, amount_micro="all")
    assert rest.amount_micro_usd == 15_000_000
    assert (await records.get_purchase(store, purchase.purchase_id)).status == "refunded"
    assert await ledger.balance(store, CREDIT) == 0
    assert stand_in.all("charge")[0]["amount_refunded"] == 2000
    balances = await ledger.balances(store)
    assert balances["refunds"] == 0 and (await ledger.check(store)).ok


async def test_spent_credit_cannot_be_refunded(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 5_000_000)
    await ledger.post(store, CREDIT, "platform", 4_000_000, "spent-test", "test")
    with pytest.raises(Conflict, match=r"only \$1.00 of unspent credit"):
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro="all")
    assert (
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_000)
    ).status == "succeeded"


async def test_dashboard_refunds_and_late_refund_failures_are_followed(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    outside = stand_in.refund_outside(purchase.payment_intent, 300)  # $3 from the Dashboard
    await hooks.flush()
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 7_000_000
    ours = await refunds.refund(store, payments, purchase.purchase_id, amount_micro=2_000_000)
    assert ours.stripe_refund_id
    assert await ledger.balance(store, CREDIT) == 5_000_000
    stand_in.fail_refund(ours.stripe_refund_id)  # the card was closed: the money comes back
    await hooks.flush()
    assert (await records.get_refund(store, ours.refund_id)).status == "failed"
    assert await ledger.balance(store, CREDIT) == 7_000_000
    # Redelivering the Dashboard refund books nothing twice.
    event = next(
        e
        for e in stand_in.events
        if e["type"] == "refund.created" and e["data"]["object"]["id"] == outside["id"]
    )
    await hooks.deliver({**event, "id": "evt_again0000000"})
    assert await ledger.balance(store, CREDIT) == 7_000_000
    assert (await ledger.check(store)).ok


async def test_a_refund_whose_answer_was_lost_is_finished_by_the_webhook(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    http.trap("/v1/refunds", "network-after")
    pending = await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_000)
    assert pending.status == "pending"  # Stripe refunded; we did not hear it
    await hooks.flush()  # refund.created names our refund: it settles
    done = await records.get_refund(store, pending.refund_id)
    assert done.status == "succeeded" and done.stripe_refund_id
    assert await ledger.balance(store, CREDIT) == 9_000_000
    assert await dispatch.dispatch_due(store, payments, now_ms=2**41) == 0
    assert len(stand_in.all("refund")) == 1
