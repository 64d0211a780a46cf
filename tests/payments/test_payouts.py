"""Payouts through the outbox: whole cents, one transfer per payout whatever happens on the
way (429s, 5xx, lost answers, a crashed dispatcher), never more than the node has earned.
Stripe's other real situations (pending funds, saved errors, 409, refused keys, capabilities,
accounts abroad) are in test_payouts_stripe.py."""

from __future__ import annotations

import asyncio

import pytest

from core import ledger, registry
from core.devkit.standin_api import StripeStandIn
from core.errors import Conflict
from core.money import split
from core.payments import dispatch, onboarding, outbox, payouts, records
from core.payments.client import Payments
from core.store import Store
from tests.helpers import register_node
from tests.payments.conftest import Webhooks, earn, onboarded, paid_credit
from tests.payments.fakes import Crash, RecordingHTTPClient

RATE = 1000 + 2 * 50_000  # µUSD/s of the test job (1 cpu, 2 GB) at the test node's prices
EARNED, _ = split(RATE)  # one job bills the one-second minimum: the node's 70%
T0 = 1_800_000_000_000  # a fixed "now" (ms) for the outbox, so backoff never waits on a clock
LATER = T0 + 3_600_000


@pytest.fixture(autouse=True)
async def creator_paid(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    """The creator whose jobs the nodes run has paid $100 by card (so it may be held)."""
    await paid_credit(store, payments, stand_in, hooks, 100_000_000)


async def balance(store: Store, node_id: str) -> int:
    return await ledger.balance(store, ledger.node_account(node_id))


async def test_onboarding_creates_one_account_stores_it_and_links_again(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    hooks: Webhooks,
    stand_in: StripeStandIn,
) -> None:
    node = await register_node(store)
    first = await onboarding.onboard(store, payments, node.node_id)
    assert first.created_account and first.account_id.startswith("acct_")
    assert first.url.startswith("http") and "/connect/onboarding/" in first.url
    assert (await registry.get_node(store, node.node_id)).stripe_account == first.account_id
    again = await onboarding.onboard(store, payments, node.node_id)
    assert not again.created_account and again.account_id == first.account_id
    assert again.url != first.url  # a fresh single-use link
    creates = http.writes("/v1/accounts")
    assert len(creates) == 1 and creates[0].idempotency_key
    assert creates[0].params["type"] == "express"
    assert creates[0].params["capabilities"] == {"transfers": {"requested": "true"}}
    assert creates[0].params["metadata"]["lcn_node"] == node.node_id
    # The operator finishes Stripe's form; the webhook tells us.
    stand_in.follow_link(again.url.rsplit("/", 1)[1])
    [result] = await hooks.flush()
    assert result.type == "account.updated" and result.outcome == "handled"
    payee = await store.redis.hgetall(store.keys.payee(node.node_id))
    assert payee[b"payouts_enabled"] == b"1"


async def test_a_payout_pays_whole_cents_once_and_leaves_the_remainder(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=3)
    earned = 3 * EARNED
    whole = earned - earned % 10_000
    [payout] = await payouts.run(store, payments, node.node_id, now=T0)
    assert payout.status == "paid" and payout.amount_micro_usd == whole
    [transfer] = stand_in.all("transfer")
    assert transfer["id"] == payout.transfer_id
    assert transfer["amount"] == whole // 10_000 and transfer["destination"] == node.stripe_account
    assert await balance(store, node.node_id) == earned % 10_000  # the sub-cent remainder stays
    balances = await ledger.balances(store)
    paid_in = -100_000_000  # the creator's card payment came from the world
    assert balances.get("payouts", 0) == 0 and balances["world"] == paid_in + whole  # paid out
    assert (await ledger.check(store)).ok
    # Nothing more to pay: less than a cent is left.
    assert await payouts.run(store, payments, node.node_id, now=T0) == []
    [write] = http.writes("/v1/transfers")
    assert write.idempotency_key == f"lcn-{store.pool}-payout-{payout.payout_id}-1-1"
    assert transfer["transfer_group"] == f"lcn-{store.pool}-payout-{payout.payout_id}-1"


async def test_429_keeps_the_key_and_after_a_500_the_transfer_is_looked_up_then_sent_anew(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=1)
    stand_in.fail_next("/v1/transfers", 429)
    stand_in.fail_next("/v1/transfers", 500)
    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id is not None
    assert await dispatch.dispatch_due(store, payments, now_ms=T0) == 1
    first = await records.get_payout(store, payout_id)
    assert first.status == "pending" and "429" in (first.error or "") and first.attempts == 1
    # Not due again before its backoff is over.
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + 1) == 0
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + 60_000) == 1
    second = await records.get_payout(store, payout_id)
    assert second.status == "pending" and "500" in (second.error or "")
    assert await dispatch.dispatch_due(store, payments, now_ms=LATER) == 1
    done = await records.get_payout(store, payout_id)
    assert done.status == "paid" and done.attempts == 3 and done.error is None
    writes = http.writes("/v1/transfers")
    assert [w.status for w in writes] == [429, 500, 200]
    # 429: Stripe saved nothing, so the same key. 500: Stripe may have saved the error under
    # it (and would replay it), so the transfer is looked up and then sent under the next key.
    assert writes[0].idempotency_key == writes[1].idempotency_key != writes[2].idempotency_key
    lookups = [s for s in http.seen if s.method == "GET" and s.path == "/v1/transfers"]
    assert len(lookups) == 1
    assert len(stand_in.all("transfer")) == 1
    assert (await ledger.check(store)).ok


async def test_a_lost_answer_is_replayed_with_the_same_key(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=1)
    http.trap("/v1/transfers", "network-after")  # Stripe acted; the connection dropped
    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id
    await dispatch.dispatch_due(store, payments, now_ms=T0)
    assert (await records.get_payout(store, payout_id)).status == "pending"
    await dispatch.dispatch_due(store, payments, now_ms=LATER)
    assert (await records.get_payout(store, payout_id)).status == "paid"
    assert len(stand_in.all("transfer")) == 1
    writes = http.writes("/v1/transfers")
    assert len(writes) == 2 and writes[0].idempotency_key == writes[1].idempotency_key
    replayed = [r for r in stand_in.requests if r.path == "/v1/transfers" and r.replayed]
    assert len(replayed) == 1


async def test_a_dispatcher_killed_after_stripe_answered_is_recovered_by_replay(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=1)
    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id
    http.trap("/v1/transfers", "crash-after")
    with pytest.raises(Crash):
        await dispatch.dispatch_due(store, payments, now_ms=T0)
    # Stripe made the transfer; we wrote nothing after it: the payout is still 'sent'.
    assert len(stand_in.all("transfer")) == 1
    stuck = await records.get_payout(store, payout_id)
    assert stuck.status == "sent"
    assert (await ledger.balances(store))["payouts"] == stuck.amount_micro_usd
    # Another dispatcher takes it only once the claim has run out…
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + 1000) == 0
    assert await dispatch.dispatch_due(store, payments, now_ms=LATER) == 1
    done = await records.get_payout(store, payout_id)
    assert done.status == "paid" and done.transfer_id == stand_in.all("transfer")[0]["id"]
    writes = http.writes("/v1/transfers")
    assert len(writes) == 2 and writes[0].idempotency_key == writes[1].idempotency_key
    assert len(stand_in.all("transfer")) == 1
    assert (await ledger.check(store)).ok


async def test_payouts_racing_new_earnings_never_pay_more_than_was_earned(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=2)
    # Two operators pay the node out at the same moment, while new jobs complete.
    runs = await asyncio.gather(
        payouts.run(store, payments, node.node_id, now=T0),
        payouts.run(store, payments, node.node_id, now=T0),
        earn(store, node, times=2),
    )
    paid = [p for run in runs[:2] for p in run]
    total_paid = sum(p.amount_micro_usd for p in paid)
    assert all(p.status == "paid" for p in paid)
    left = await balance(store, node.node_id)
    assert total_paid + left == 4 * EARNED  # every µUSD is either paid or still the node's
    assert total_paid <= 4 * EARNED and left >= 0
    assert sum(t["amount"] for t in stand_in.all("transfer")) * 10_000 == total_paid
    # Earnings that arrive while a payout is with Stripe are not part of it.
    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    if payout_id is None:  # everything whole was already paid: earn more first
        await earn(store, node, times=2)
        payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id
    reserved = (await records.get_payout(store, payout_id)).amount_micro_usd
    before = await balance(store, node.node_id)
    rec = await outbox.claim(store, f"payout:{payout_id}", now=T0)
    assert rec is not None
    await earn(store, node)
    await payouts.send(store, payments, rec, now=T0)
    assert (await records.get_payout(store, payout_id)).amount_micro_usd == reserved
    assert await balance(store, node.node_id) == before + EARNED
    assert (await ledger.check(store)).ok


async def test_a_refused_transfer_fails_back_to_the_node_and_retries_with_a_new_key(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=2)
    # Stripe refuses the transfer for good (and saves that answer under its key).
    stand_in.fail_next("/v1/transfers", 400, saved=True)
    [failed] = await payouts.run(store, payments, node.node_id, now=T0)
    assert failed.status == "failed" and "400" in (failed.error or "")
    assert await balance(store, node.node_id) == 2 * EARNED  # the money is the node's again
    assert stand_in.all("transfer") == []
    retried = await payouts.retry(store, payments, failed.payout_id, now=T0)
    assert retried.status == "paid" and retried.generation == 2
    keys_sent = [w.idempotency_key for w in http.writes("/v1/transfers")]
    assert len(keys_sent) == 2 and keys_sent[0] != keys_sent[1]
    with pytest.raises(Conflict):
        await payouts.retry(store, payments, failed.payout_id, now=T0)
    assert (await ledger.check(store)).ok


async def test_a_node_without_stripe_account_is_refused_clearly(
    store: Store, payments: Payments
) -> None:
    node = await register_node(store)
    await earn(store, node)
    with pytest.raises(Conflict, match="no Stripe account"):
        await payouts.run(store, payments, node.node_id)
