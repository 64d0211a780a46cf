"""The whole money flow over real HTTP on loopback: the Stripe stand-in serving the API and
its hosted pages, `StripeClient` pointed at it by STRIPE_API_BASE, and its signed webhooks
arriving at a real gateway (uvicorn) — as `lcn demo` runs it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from core import ledger, registry
from core.config import Settings
from core.devkit import standin as standin_module
from core.devkit.standin import StandIn, start_standin
from core.gateway import GatewaySettings, create_app
from core.payments import onboarding, payouts, purchases
from core.payments.client import Payments
from core.payments.reconcile import reconcile
from core.store import Store
from tests.gateway.live import serving
from tests.helpers import register_node
from tests.jobfactory import CREATOR
from tests.payments.conftest import WEBHOOK_SECRET, earn


@pytest.fixture
async def running(paid_settings: Settings) -> AsyncIterator[tuple[StandIn, Payments]]:
    with serving(create_app(paid_settings, GatewaySettings())) as gateway_url:
        stand_in = await start_standin(
            "127.0.0.1", 0, f"{gateway_url}/stripe/webhook", WEBHOOK_SECRET
        )
        settings = paid_settings.model_copy(update={"stripe_api_base": stand_in.url})
        payments = Payments.from_settings(settings)
        assert payments is not None
        try:
            yield stand_in, payments
        finally:
            await payments.aclose()
            await stand_in.close()


async def test_credit_payouts_and_reconcile_over_http(
    store: Store, running: tuple[StandIn, Payments]
) -> None:
    stand_in, payments = running
    node = await register_node(store)
    link = await onboarding.onboard(
        store, payments, node.node_id, return_url="http://127.0.0.1:9/back"
    )
    async with httpx.AsyncClient() as browser:
        # The operator opens the onboarding link and is sent back.
        back = await browser.get(link.url)
        assert back.status_code == 303 and back.headers["location"] == "http://127.0.0.1:9/back"
        await stand_in.flush()
        # A creator pays for credit on the hosted checkout page.
        checkout = await purchases.buy_credit(store, payments, CREATOR, 12_000_000)
        assert checkout.checkout_url and checkout.checkout_url.startswith(stand_in.url)
        page = await browser.get(checkout.checkout_url)
        assert page.status_code == 200 and "$12.00" in page.text
        paid = await browser.post(checkout.checkout_url + "/pay", data={"card": "4242424242424242"})
        assert paid.status_code == 303
    await stand_in.flush()
    assert all(d.status == 200 for d in stand_in.deliveries), stand_in.deliveries
    assert await ledger.balance(store, ledger.creator_account(CREATOR)) == 12_000_000
    node = await registry.get_node(store, node.node_id)
    await earn(store, node, times=2)
    [payout] = await payouts.run(store, payments, node.node_id)
    assert payout.status == "paid"
    await stand_in.flush()
    report = await reconcile(store, payments)
    assert report.mismatches == [] and report.transfers == 1 and report.charges == 1


async def test_the_stand_in_retries_a_webhook_nobody_takes_then_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(standin_module, "DELIVERY_BACKOFF_S", 0.01)
    stand_in = await start_standin(
        "127.0.0.1", 0, "http://127.0.0.1:9/stripe/webhook", WEBHOOK_SECRET
    )
    try:
        stand_in.api.emit("customer.created", {"id": "cus_1", "object": "customer"})
        await asyncio.wait_for(stand_in.flush(), 10)
        [delivery] = stand_in.deliveries
        assert delivery.status is None and delivery.attempts == standin_module.DELIVERY_ATTEMPTS
    finally:
        await stand_in.close()


async def test_the_demo_money_flow(store: Store) -> None:
    from core.config import Settings as Plain
    from core.devkit.demo_money import start_demo_money
    from core.payments.summary import earnings_summary

    money = await start_demo_money(store, Plain(pool=store.pool))
    try:
        await money.buy_credit(CREATOR, 50_000_000)
        assert await ledger.balance(store, ledger.creator_account(CREATOR)) == 50_000_000
        node = await register_node(store)
        await money.onboard([node.node_id])
        await earn(store, await registry.get_node(store, node.node_id), times=3)
        [payout] = await money.pay_out()
        assert payout.status == "paid"
        summary = await earnings_summary(store, payments_enabled=True)
        assert summary.credits_sold_micro_usd == 50_000_000 and summary.payouts.paid == 1
    finally:
        await money.close()
