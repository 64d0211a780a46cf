"""Payments fixtures: Stripe answered by the in-memory stand-in through a recording HTTP client
of our own, payments switched on for the test's settings, and webhooks delivered signed; the
arrange steps the tests share (credit bought and paid, a node onboarded that ran real jobs, a
sale of job logs) and the stand-in served on loopback for the CLI's tests."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core import jobs, registry
from core.config import Settings
from core.devkit.standin import StandIn, start_standin
from core.devkit.standin_api import StripeStandIn, sign
from core.gateway import GatewaySettings, create_app
from core.models.node import Node
from core.payments import purchases, records, webhooks
from core.payments.client import Payments
from core.payments.webhooks import WebhookResult
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body
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


@pytest.fixture
async def gateway(paid_settings: Settings, store: Store) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway with payments on, called in-process."""
    app = create_app(paid_settings, GatewaySettings(), store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


async def paid_checkout(
    store: Store, payments: Payments, stand_in: StripeStandIn, micro: int
) -> purchases.Checkout:
    """The creator buys `micro` µUSD of credit through Checkout and pays at Stripe; no webhook
    is delivered yet."""
    checkout = await purchases.buy_credit(store, payments, CREATOR, micro)
    assert checkout.session_id
    stand_in.complete_checkout(checkout.session_id)
    return checkout


async def paid_credit(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks, micro: int
) -> records.Purchase:
    """The creator buys `micro` µUSD of credit through Checkout and pays; the webhooks so far
    are delivered, and the purchase is paid."""
    checkout = await paid_checkout(store, payments, stand_in, micro)
    await hooks.flush()
    purchase = await records.get_purchase(store, checkout.purchase_id)
    assert purchase.status == "paid"
    return purchase


LOGS_CID = "bafyreihp4vvj4a5wo2glajqakalp7bam2ftirzveq2nwy3d5nv5vrcjwdy"


async def buy_job_logs(store: Store, payments: Payments) -> purchases.Checkout:
    """The creator starts buying a job's logs (a catalog sale); nothing is paid yet."""
    return await purchases.buy_item(store, payments, "job-logs", CREATOR, ref=LOGS_CID)


async def onboarded(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks, jobs_run: int = 0
) -> Node:
    """A registered node whose Stripe Connect account finished onboarding, and which then ran
    `jobs_run` real jobs to completion (see `earn`)."""
    from core.payments import onboarding

    node = await register_node(store)
    result = await onboarding.onboard(store, payments, node.node_id)
    stand_in.complete_onboarding(result.account_id)
    await hooks.flush()
    node = await registry.get_node(store, node.node_id)
    await earn(store, node, times=jobs_run)
    return node


async def earn(store: Store, node: Node, times: int = 1) -> None:
    """Run `times` real jobs on the node to completion: each pays it 70% of 1 s at its rate."""
    for _ in range(times):
        await jobs.submit(store, job_body(), max_attempts=3)
        claim = await jobs.claim(store, node.node_id, "agent", ["code-execution"], lease_s=30)
        assert claim is not None
        await jobs.complete(store, claim.job_id, claim.token, duration_ms=1, output=None)


class StandInThread:
    """A stand-in served on loopback with its own event loop in a daemon thread (the CLI runs
    its own event loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.stand_in: StandIn = self.call(start_standin("127.0.0.1", 0, None))

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    def close(self) -> None:
        self.call(self.stand_in.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def stand_in_thread() -> Iterator[StandInThread]:
    running = StandInThread()
    yield running
    running.close()


@pytest.fixture
def lcn(redis_url: str, pool: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `lcn …` in-process against the test Redis and this test's pool, with payments off
    until the test sets STRIPE_*; the command must exit with `code` (0 unless told)."""
    from typer.testing import CliRunner

    from console.cli import app

    monkeypatch.setenv("LCN_REDIS_URL", redis_url)
    monkeypatch.setenv("LCN_POOL", pool)
    for name in ("STRIPE_SECRET_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output + str(result.exception)
        return result

    return invoke
