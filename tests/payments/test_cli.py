"""`lcn payouts …` and `lcn payments …` through the real CLI, against a Stripe stand-in served
on loopback from its own thread (the CLI runs its own event loop)."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.config import Settings
from core.devkit.standin import StandIn
from core.devkit.standin_api import sign
from core.payments import webhooks
from core.store import connect
from tests.helpers import register_node
from tests.jobfactory import CREATOR
from tests.payments.conftest import StandInThread, earn


def earning_node(settings: Settings) -> str:
    async def work() -> str:
        store = await connect(settings)
        try:
            node = await register_node(store)
            await earn(store, node, times=2)
            return node.node_id
        finally:
            await store.close()

    return asyncio.run(work())


def deliver_events(settings: Settings, stand_in: StandIn, secret: str) -> None:
    """Hand the stand-in's events so far to our webhook handler, signed as Stripe signs them."""

    async def work() -> None:
        store = await connect(settings)
        try:
            for event in stand_in.api.events:
                payload = json.dumps(event)
                await webhooks.handle(store, payload.encode(), sign(payload, secret), secret)
        finally:
            await store.close()

    asyncio.run(work())


def test_with_payments_off_the_cli_says_so(lcn, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    node_id = earning_node(settings)
    off = lcn("payouts", "run", node_id, code=1)
    assert "Payments are off" in off.output
    assert "payments off" in lcn("payments", "status").output
    listed = lcn("payouts", "list", "--json")
    assert json.loads(listed.stdout) == [] and "Payments are off" in listed.stderr
    status = json.loads(lcn("payments", "status", "--json").stdout)
    assert status["paymentsEnabled"] is False
    assert status["summary"]["unpaidEarningsMicroUsd"] == 2 * 70_700


def test_onboard_run_list_status_and_reconcile(  # type: ignore[no-untyped-def]
    lcn, settings: Settings, stand_in_thread: StandInThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in = stand_in_thread.stand_in
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_cli")
    monkeypatch.setenv("STRIPE_API_BASE", stand_in.url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_cli")
    node_id = earning_node(settings)
    onboarded = json.loads(lcn("payouts", "onboard", node_id, "--json").stdout)
    assert onboarded["createdAccount"] and onboarded["url"].startswith(stand_in.url)
    stand_in_thread.call(stand_in.complete_onboarding(onboarded["accountId"]))
    ran = lcn("payouts", "run", node_id)
    assert "paid" in ran.output and "$0.14" in ran.output
    [payout] = json.loads(lcn("payouts", "list", "--json").stdout)
    assert payout["status"] == "paid" and payout["amountMicroUsd"] == 140_000
    again = lcn("payouts", "retry", payout["payoutId"], code=1)
    assert "only a pending or failed payout can be retried" in again.output
    status = lcn("payments", "status")
    assert "payments on (test mode)" in status.output and "reachable" in status.output
    # The jobs' creator pays for credit, so the money paid out came in first (`world` ≤ 0).
    paid = lcn("payments", "buy", CREATOR, "25", "--payment-method", "pm_card_visa")
    assert "succeeded" in paid.output or "paid" in paid.output, paid.output
    deliver_events(settings, stand_in, "whsec_cli")
    clean = json.loads(lcn("payments", "reconcile", "--json").stdout)
    assert clean["mismatches"] == []
    # Stripe loses the transfer: reconcile lists it and fails.
    stand_in.api.objects["transfer"].clear()
    broken = lcn("payments", "reconcile", code=1)
    assert "MISMATCH transfer_missing" in broken.output
    bought = lcn("payments", "buy", "0x" + "ab" * 20, "25")
    assert "pay at: " + stand_in.url in bought.output
    assert "pkp" in lcn("payments", "catalog").output
