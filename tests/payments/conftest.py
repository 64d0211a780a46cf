"""Payments fixtures: Stripe answered by the in-memory stand-in through a recording HTTP client
of our own, payments switched on for the test's settings, and webhooks delivered signed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from core import jobs, registry
from core.config import Settings
from core.models.node import Node
from core.payments import webhooks
from core.payments.client import Payments
from core.payments.standin_api import StripeStandIn, sign
from core.payments.webhooks import WebhookResult
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import job_body
from tests.payments.fakes import RecordingHTTPClient

WEBHOOK_SECRET = "whsec_test_" + "s" * 24


@pytest.fixture
def stand_in() -> StripeStandIn:
    return StripeStandIn()


@pytest.fixture
def http(stand_in: StripeStandIn) -> RecordingHTTPClient:
    return RecordingHTTPClient(stand_in)


@pytest.fixture
def paid_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "stripe_secret_key": "sk_test_lcn",
            "stripe_public_key": "pk_test_lcn",
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": "https://stripe.test",
        }
    )


@pytest.fixture
async def payments(paid_settings: Settings, http: RecordingHTTPClient) -> AsyncIterator[Payments]:
    client = Payments.from_settings(paid_settings, http_client=http)
    assert client is not None
    yield client
    await client.aclose()


@dataclass
class Webhooks:
    """Delivers the stand-in's events to our handler, signed as Stripe signs them."""

    store: Store
    stand_in: StripeStandIn
    delivered: int = 0
    results: list[WebhookResult] = field(default_factory=list)

    async def deliver(self, event: dict[str, object]) -> WebhookResult:
        payload = json.dumps(event)
        result = await webhooks.handle(
            self.store, payload.encode(), sign(payload, WEBHOOK_SECRET), WEBHOOK_SECRET
        )
        self.results.append(result)
        return result

    async def flush(self) -> list[WebhookResult]:
        """Deliver every event not delivered yet, in order."""
        out = []
        while self.delivered < len(self.stand_in.events):
            event = self.stand_in.events[self.delivered]
            self.delivered += 1
            out.append(await self.deliver(event))
        return out

    def skip(self) -> None:
        """Lose every event so far (Stripe could not reach us)."""
        self.delivered = len(self.stand_in.events)


@pytest.fixture
def hooks(store: Store, stand_in: StripeStandIn) -> Webhooks:
    return Webhooks(store, stand_in)


async def onboarded(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> Node:
    """A registered node whose Stripe Connect account finished onboarding."""
    from core.payments import onboarding

    node = await register_node(store)
    result = await onboarding.onboard(store, payments, node.node_id)
    stand_in.complete_onboarding(result.account_id)
    await hooks.flush()
    return await registry.get_node(store, node.node_id)


async def earn(store: Store, node: Node, times: int = 1) -> None:
    """Run `times` real jobs on the node to completion: each pays it 70% of 1 s at its rate."""
    for _ in range(times):
        await jobs.submit(store, job_body(), max_attempts=3)
        claim = await jobs.claim(store, node.node_id, "agent", ["code-execution"], lease_s=30)
        assert claim is not None
        await jobs.complete(store, claim.job_id, claim.token, duration_ms=1, output=None)
