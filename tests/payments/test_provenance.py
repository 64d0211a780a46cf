"""Issue 10's attack on the money: $5,000 of node earnings and $5,000 of creator credit written
straight into Redis as two balanced journal entries. Reconcile and `lcn ledger check` name both
postings, and no payout moves a cent until an operator reverses them; then only what the node
really earned is paid."""

from __future__ import annotations

import asyncio
import json

import pytest

from console.cli.common import EXIT_REFUSED
from core import actions, ledger
from core.config import Settings
from core.devkit.standin_api import StripeStandIn
from core.errors import Conflict
from core.payments import payouts
from core.payments.client import Payments
from core.payments.reconcile import reconcile
from core.store import Store, connect
from tests.forgery import FIVE_THOUSAND_USD, mint_five_thousand
from tests.helpers import register_node
from tests.jobfactory import CREATOR
from tests.payments.conftest import StandInThread, Webhooks, earn, onboarded, paid_credit
from tests.payments.fakes import RecordingHTTPClient
from tests.payments.test_payouts import EARNED, T0

WHOLE = 3 * EARNED - 3 * EARNED % 10_000  # the whole cents of three real jobs' earnings


async def test_minted_money_is_reconciled_as_unproven_and_never_paid(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=3)
    earned, credited = await mint_five_thousand(store, node.node_id, CREATOR)
    account = ledger.node_account(node.node_id)
    assert await ledger.balance(store, account) == 3 * EARNED + FIVE_THOUSAND_USD

    report = await reconcile(store, payments)
    unproven = {m.record: m.detail for m in report.mismatches if m.kind == "unproven_posting"}
    assert set(unproven) == {earned, credited} and not report.ok
    assert "has no proven source" in unproven[earned]

    for node_id in (node.node_id, None):  # one node, or every onboarded node
        with pytest.raises(Conflict, match=f"no proven source, e.g. {earned}"):
            await payouts.run(store, payments, node_id, now=T0)
    assert http.writes("/v1/transfers") == [] and stand_in.all("transfer") == []
    assert await ledger.balance(store, "payouts") == 0

    # The operator reverses both; the node is paid what it earned, none of the $5,000.
    for posting_id in (earned, credited):
        await actions.reverse_posting(store, "alice", posting_id, "minted by a job")
    [payout] = await payouts.run(store, payments, node.node_id, now=T0)
    assert payout.status == "paid" and payout.amount_micro_usd == WHOLE
    [transfer] = stand_in.all("transfer")
    assert transfer["amount"] == WHOLE // 10_000
    # The jobs' creator pays for credit, so the money paid out came in first (`world` ≤ 0).
    await paid_credit(store, payments, stand_in, hooks, 25_000_000)
    assert (await reconcile(store, payments)).ok


async def test_a_failed_payout_is_not_sent_again_while_minted_money_is_open(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=2)
    stand_in.fail_next("/v1/transfers", 400, saved=True)  # Stripe refuses it for good
    [failed] = await payouts.run(store, payments, node.node_id, now=T0)
    assert failed.status == "failed"
    await mint_five_thousand(store, node.node_id, CREATOR)
    with pytest.raises(Conflict, match="ledger check fails"):
        await payouts.retry(store, payments, failed.payout_id, now=T0)
    assert stand_in.all("transfer") == []


def test_the_cli_names_the_postings_and_pays_nothing_of_them(  # type: ignore[no-untyped-def]
    lcn,
    settings: Settings,
    stand_in_thread: StandInThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stand_in = stand_in_thread.stand_in
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_cli")
    monkeypatch.setenv("STRIPE_API_BASE", stand_in.url)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_cli")

    async def setup() -> tuple[str, str, str]:
        store = await connect(settings)
        try:
            node = await register_node(store)
            await earn(store, node, times=3)
            return (node.node_id, *await mint_five_thousand(store, node.node_id, CREATOR))
        finally:
            await store.close()

    node_id, earned, credited = asyncio.run(setup())
    onboarded = json.loads(lcn("payouts", "onboard", node_id, "--json").stdout)
    stand_in_thread.call(stand_in.complete_onboarding(onboarded["accountId"]))

    checked = lcn("ledger", "check", code=EXIT_REFUSED)
    assert f"UNPROVEN {earned}" in checked.output and f"UNPROVEN {credited}" in checked.output
    assert "$5,000.00" in checked.output
    as_json = json.loads(lcn("ledger", "check", "--json", code=EXIT_REFUSED).stdout)
    assert {u["postingId"] for u in as_json["unproven"]} == {earned, credited}
    assert as_json["balanced"] and as_json["journalMatchesBalances"]

    reconciled = lcn("payments", "reconcile", code=1)
    assert f"MISMATCH unproven_posting: Posting {earned}" in reconciled.output
    assert f"Posting {credited}" in reconciled.output

    refused = lcn("payouts", "run", node_id, code=EXIT_REFUSED)
    assert "No payout is made while the ledger check fails" in refused.output
    assert earned in refused.output
    assert json.loads(lcn("payouts", "list", "--json").stdout) == []
    assert stand_in.api.objects.get("transfer", {}) == {}

    lcn("ledger", "reverse", earned, "--reason", "minted by a job", code=EXIT_REFUSED)
    reversed_all = lcn("ledger", "reverse", credited, "--operator", "alice")
    assert "the ledger check now passes" in reversed_all.output
    assert "2 reversed" in lcn("ledger", "check").output
    paid = lcn("payouts", "run", node_id)
    assert "paid" in paid.output
    [payout] = json.loads(lcn("payouts", "list", "--json").stdout)
    assert payout["amountMicroUsd"] == WHOLE
