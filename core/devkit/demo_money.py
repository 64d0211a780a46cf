"""The money side of `lcn demo`: a Stripe stand-in on loopback, the demo's creators buying
credit through Checkout, every node onboarded to Connect, and payouts sent now and then — so
the whole money flow shows in the console's earnings pane and in `lcn payments status`.

    money = await start_demo_money(store, settings)        # webhooks handled in-process
    await money.buy_credit(creator, 50_000_000)            # Checkout paid; credit lands
    await money.onboard(node_ids)                          # Express accounts, onboarded
    orchestrator = Orchestrator(store, config, payments=money.payments)  # dispatches payouts
    await money.pay_out()                                  # reserve + send every node's cents
    await money.close()
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from core.config import Settings
from core.devkit.standin import StandIn, start_standin
from core.payments import onboarding, payouts, purchases, webhooks
from core.payments.client import Payments
from core.payments.records import Payout
from core.store import Store


@dataclass
class DemoMoney:
    store: Store
    stand_in: StandIn
    payments: Payments
    settings: Settings  # the demo's settings, with the STRIPE_* fields pointed at the stand-in

    async def buy_credit(self, creator: str, micro: int) -> str:
        """A creator buys credit and pays at once; returns after the webhook credited it."""
        checkout = await purchases.buy_credit(self.store, self.payments, creator, micro)
        assert checkout.session_id is not None
        await self.stand_in.complete_checkout(checkout.session_id)
        return checkout.purchase_id

    async def onboard(self, node_ids: list[str]) -> None:
        """Each node gets a Connect account (the stand-in onboards it at once)."""
        for node_id in node_ids:
            await onboarding.onboard(self.store, self.payments, node_id)
        await self.stand_in.flush()

    async def pay_out(self) -> list[Payout]:
        """Pay every onboarded node its available whole cents now."""
        paid = await payouts.run(self.store, self.payments)
        await self.stand_in.flush()
        return paid

    async def close(self) -> None:
        await self.payments.aclose()
        await self.stand_in.close()


async def start_demo_money(
    store: Store, settings: Settings, *, webhook_url: str | None = None, port: int = 0
) -> DemoMoney:
    """Start the stand-in and a Stripe client pointed at it. Webhooks go to `webhook_url` (a
    running gateway's /stripe/webhook) or, by default, straight to the handler in-process."""
    secret = "whsec_demo_" + secrets.token_hex(12)

    async def handle(payload: bytes, signature: str) -> int:
        await webhooks.handle(store, payload, signature, secret)
        return 200

    stand_in = await start_standin(
        "127.0.0.1",
        port,
        webhook_url,
        secret,
        auto_onboard=True,
        webhook_handler=None if webhook_url else handle,
    )
    demo_settings = settings.model_copy(
        update={
            "stripe_secret_key": "sk_test_demo",
            "stripe_public_key": "pk_test_demo",
            "stripe_webhook_secret": secret,
            "stripe_api_base": stand_in.url,
        }
    )
    payments = Payments.from_settings(demo_settings)
    assert payments is not None
    return DemoMoney(store, stand_in, payments, demo_settings)
