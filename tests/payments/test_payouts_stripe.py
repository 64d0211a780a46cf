"""Payouts against Stripe's real behaviour, through the stand-in and the real `stripe` library:
funds pending before they are available, errors saved under an idempotency key and replayed,
409 while a request with the key still runs, keys forgotten after 24 hours, API keys refused,
the transfers capability, and the recipient service agreement for nodes outside the US."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from console.triage_words import triage_sentence
from core import ledger, registry
from core.config import Settings
from core.devkit.standin_api import SETTLE_DELAY_S, ManualClock, StripeStandIn, card_fee_cents
from core.errors import Conflict
from core.models.node import Node
from core.payments import dispatch, onboarding, outbox, payouts, records
from core.payments.client import Payments
from core.reads.snapshot import ViewRequest, poll
from core.store import Store
from tests.helpers import register_node
from tests.payments.conftest import Webhooks, earn, onboarded, paid_credit
from tests.payments.fakes import RecordingHTTPClient

T0 = 1_800_000_000_000  # the outbox's "now" (ms); the stand-in keeps its own clock
HOUR_MS = 3_600_000
WAIT = outbox.DEFAULT_POLICY.funds_wait_ms


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def stand_in(clock: ManualClock) -> StripeStandIn:
    """A platform account with nothing available yet: every cent comes from a card payment."""
    return StripeStandIn(available_cents=0, clock=clock)


async def earning_node(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks, times: int = 2
) -> Node:
    """An onboarded node that ran `times` jobs for a creator who paid $50 by card (the money is
    pending at Stripe)."""
    await paid_credit(store, payments, stand_in, hooks, 50_000_000)
    return await onboarded(store, payments, stand_in, hooks, jobs_run=times)


@pytest.fixture
async def node(store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks) -> Node:
    """An earning node (two jobs) on a platform account with plenty available: no payout waits
    for funds."""
    stand_in.available_cents = 10**9
    return await earning_node(store, payments, stand_in, hooks)


async def create_transfer(payments: Payments, key: str, params: dict[str, object]) -> Any:
    return await payments.stripe.v1.transfers.create_async(
        params,  # type: ignore[arg-type]
        {"idempotency_key": key},
    )


def sent_params(http: RecordingHTTPClient) -> dict[str, object]:
    """The first transfer's parameters as Stripe received them (strings, like the form)."""
    return dict(http.writes("/v1/transfers")[0].params)


# -- the stand-in behaves as Stripe documents ---------------------------------------------------


async def test_card_money_is_pending_until_it_matures(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    clock: ManualClock,
) -> None:
    await paid_credit(store, payments, stand_in, hooks, 25_000_000)
    net = 2500 - card_fee_cents(2500)  # Stripe keeps its fee (2.9% + 30¢) from the charge
    balance = await payments.stripe.v1.balance.retrieve_async()
    assert balance.available[0].amount == 0 and balance.pending[0].amount == net
    clock.advance(SETTLE_DELAY_S - 1)
    assert (await payments.stripe.v1.balance.retrieve_async()).available[0].amount == 0
    clock.advance(1)
    balance = await payments.stripe.v1.balance.retrieve_async()
    assert balance.available[0].amount == net and balance.pending[0].amount == 0


async def test_a_key_is_forgotten_after_24_hours(
    payments: Payments, stand_in: StripeStandIn, hooks: Webhooks, store: Store, clock: ManualClock
) -> None:
    node = await onboarded(store, payments, stand_in, hooks)
    stand_in.available_cents = 10_000
    params: dict[str, object] = {"amount": 100, "currency": "usd"}
    params["destination"] = node.stripe_account
    first = await create_transfer(payments, "k-24h", params)
    clock.advance(23 * 3600)
    assert (await create_transfer(payments, "k-24h", params)).id == first.id  # replayed
    clock.advance(3600)
    second = await create_transfer(payments, "k-24h", params)  # pruned: a new request
    assert second.id != first.id and len(stand_in.all("transfer")) == 2


async def test_non_us_accounts_need_the_recipient_agreement(payments: Payments) -> None:
    with pytest.raises(stripe.InvalidRequestError, match="recipient service agreement"):
        await payments.stripe.v1.accounts.create_async(
            {"type": "express", "country": "DE", "capabilities": {"transfers": {"requested": True}}}
        )


# -- payouts ----------------------------------------------------------------------------------


async def test_a_payout_waits_for_pending_funds_with_a_new_key_each_try(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    clock: ManualClock,
) -> None:
    node = await earning_node(store, payments, stand_in, hooks)
    [payout] = await payouts.run(store, payments, node.node_id, now=T0)
    # Stripe's `balance_insufficient`: the creator's card money is still pending. Not a failure.
    assert payout.status == "pending" and "available balance" in (payout.error or "")
    assert (await ledger.balances(store))["payouts"] == payout.amount_micro_usd  # still reserved
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + WAIT - 1) == 0
    clock.advance(36 * 3600)
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + WAIT) == 1
    assert (await records.get_payout(store, payout.payout_id)).status == "pending"
    clock.advance(SETTLE_DELAY_S - 36 * 3600)  # the card money matures
    # Why each try needs a new key: Stripe saved the last refusal under its key (12 hours ago)
    # and replays it, although the money is available now.
    second = http.writes("/v1/transfers")[1]
    with pytest.raises(stripe.InvalidRequestError) as replayed:
        await create_transfer(payments, str(second.idempotency_key), sent_params(http))
    assert replayed.value.code == "balance_insufficient" and stand_in.requests[-1].replayed
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + 2 * WAIT) == 1
    paid = await records.get_payout(store, payout.payout_id)
    assert paid.status == "paid" and paid.error is None
    every = http.writes("/v1/transfers")
    writes = every[:2] + every[3:]  # the payout's own requests (the third was the replay above)
    assert [w.status for w in writes] == [400, 400, 200]
    sent_keys = [w.idempotency_key for w in writes]
    assert sent_keys == [f"lcn-{store.pool}-payout-{payout.payout_id}-1-{n}" for n in (1, 2, 3)]
    [transfer] = stand_in.all("transfer")
    assert transfer["transfer_group"] == f"lcn-{store.pool}-payout-{payout.payout_id}-1"
    assert transfer["metadata"]["lcn_payout"] == payout.payout_id
    assert (await ledger.check(store)).ok


async def test_a_saved_500_is_left_behind_after_looking_the_transfer_up(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    node: Node,
) -> None:
    stand_in.fail_next("/v1/transfers", 500, saved=True)  # Stripe began, failed, saved the 500
    [payout] = await payouts.run(store, payments, node.node_id, now=T0)
    assert payout.status == "pending" and "500" in (payout.error or "")
    [first] = http.writes("/v1/transfers")
    with pytest.raises(stripe.APIError):  # the key would only ever replay its 500
        await create_transfer(payments, str(first.idempotency_key), sent_params(http))
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + HOUR_MS) == 1
    done = await records.get_payout(store, payout.payout_id)
    assert done.status == "paid"
    looked = [s for s in http.seen if s.method == "GET" and s.path == "/v1/transfers"]
    assert looked and looked[0].params["transfer_group"].endswith(f"{payout.payout_id}-1")
    keys_sent = [w.idempotency_key for w in http.writes("/v1/transfers")]
    assert keys_sent[-1] != first.idempotency_key and len(stand_in.all("transfer")) == 1
    assert (await ledger.check(store)).ok


async def test_a_500_after_the_transfer_was_made_finds_it_and_sends_nothing_more(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    node: Node,
) -> None:
    stand_in.fail_next("/v1/transfers", 502, after=True)  # made, but the answer was a 502
    [payout] = await payouts.run(store, payments, node.node_id, now=T0)
    assert payout.status == "pending"
    await dispatch.dispatch_due(store, payments, now_ms=T0 + HOUR_MS)
    done = await records.get_payout(store, payout.payout_id)
    [transfer] = stand_in.all("transfer")
    assert done.status == "paid" and done.transfer_id == transfer["id"]
    assert len(http.writes("/v1/transfers")) == 1
    assert (await ledger.check(store)).ok


async def test_409_while_the_first_request_runs_then_its_answer_is_replayed(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    node: Node,
) -> None:
    stand_in.stall_next("/v1/transfers")  # still executing when our client times out
    [payout] = await payouts.run(store, payments, node.node_id, now=T0)
    assert payout.status == "pending" and "network" in (payout.error or "")
    await dispatch.dispatch_due(store, payments, now_ms=T0 + HOUR_MS)
    waiting = await records.get_payout(store, payout.payout_id)
    assert waiting.status == "pending" and "409" in (waiting.error or "")
    stand_in.finish_stalled()  # the first request completes: the transfer exists
    await dispatch.dispatch_due(store, payments, now_ms=T0 + 2 * HOUR_MS)
    done = await records.get_payout(store, payout.payout_id)
    [transfer] = stand_in.all("transfer")
    assert done.status == "paid" and done.transfer_id == transfer["id"]
    writes = http.writes("/v1/transfers")
    assert [w.status for w in writes] == [None, 409, 200]
    assert len({w.idempotency_key for w in writes}) == 1  # one key: nothing was saved to avoid
    assert stand_in.requests[-1].replayed
    assert (await ledger.check(store)).ok


async def test_a_dispatcher_back_after_24_hours_looks_the_transfer_up_first(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    clock: ManualClock,
    node: Node,
) -> None:
    from tests.payments.fakes import Crash

    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id
    http.trap("/v1/transfers", "crash-after")
    with pytest.raises(Crash):
        await dispatch.dispatch_due(store, payments, now_ms=T0)
    clock.advance(25 * 3600)  # Stripe has forgotten the key: sending it would pay twice
    await dispatch.dispatch_due(store, payments, now_ms=T0 + 25 * HOUR_MS)
    done = await records.get_payout(store, payout_id)
    assert done.status == "paid" and len(stand_in.all("transfer")) == 1
    assert len(http.writes("/v1/transfers")) == 1
    assert (await ledger.check(store)).ok


async def triage_kinds(store: Store) -> dict[str, str]:
    snapshot = await poll(store, ViewRequest(now_ms=T0))
    assert snapshot.triage is not None
    return {item.kind: triage_sentence(item, snapshot.now_ms) for item in snapshot.triage.items}


async def test_a_refused_key_holds_payouts_raises_triage_and_never_loops(
    store: Store,
    payments: Payments,
    paid_settings: Settings,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    node: Node,
) -> None:
    stand_in.revoked_keys.add(str(paid_settings.stripe_secret_key))  # rolled in the Dashboard
    [held] = await payouts.run(store, payments, node.node_id, now=T0)
    assert held.status == "pending" and "401" in (held.error or "")
    assert held.next_attempt_at is None  # not scheduled: nothing retries a refused key
    summary = (await triage_kinds(store))["stripe_key"]
    assert "401" in summary and "1 payout held" in summary
    # The node earns more; its next payout is held without asking Stripe again.
    await earn(store, node, times=2)
    [also] = await payouts.run(store, payments, node.node_id, now=T0)
    assert also.status == "pending"
    for hour in range(1, 30):
        assert await dispatch.dispatch_due(store, payments, now_ms=T0 + hour * HOUR_MS) == 0
    assert len(http.writes("/v1/transfers")) == 1
    assert "2 payouts held" in (await triage_kinds(store))["stripe_key"]
    assert (await ledger.balances(store))[
        "payouts"
    ] == held.amount_micro_usd + also.amount_micro_usd
    # The operator sets a new key: the held payouts go on their own, once each.
    new_key = paid_settings.model_copy(update={"stripe_secret_key": "sk_test_rolled"})
    fixed = Payments.from_settings(new_key, http_client=http)
    assert fixed is not None
    assert await dispatch.dispatch_due(store, fixed, now_ms=T0 + 31 * HOUR_MS) == 2
    for payout in (held, also):
        assert (await records.get_payout(store, payout.payout_id)).status == "paid"
    assert "stripe_key" not in await triage_kinds(store)
    assert len(stand_in.all("transfer")) == 2
    assert (await ledger.check(store)).ok


async def test_a_403_is_held_until_an_operator_retries(
    store: Store,
    payments: Payments,
    paid_settings: Settings,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    node: Node,
) -> None:
    stand_in.restricted_keys.add(str(paid_settings.stripe_secret_key))
    [held] = await payouts.run(store, payments, node.node_id, now=T0)
    assert held.status == "pending" and "403" in (held.error or "")
    assert await dispatch.dispatch_due(store, payments, now_ms=T0 + 5 * HOUR_MS) == 0
    stand_in.restricted_keys.clear()  # the permission is granted to the same key
    retried = await payouts.retry(store, payments, held.payout_id, now=T0 + 6 * HOUR_MS)
    assert retried.status == "paid" and retried.error is None
    assert not await store.redis.exists(store.keys.stripe_key_refused)
    assert len(http.writes("/v1/transfers")) == 2


async def test_only_an_active_transfers_capability_is_paid(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    stand_in.available_cents = 10**9
    node = await earning_node(store, payments, stand_in, hooks, times=3)
    account = str(node.stripe_account)
    stand_in.set_capability(account, "transfers", "inactive")  # Stripe wants more information
    await hooks.flush()
    with pytest.raises(Conflict, match="transfers capability is inactive"):
        await payouts.run(store, payments, node.node_id, now=T0)
    stand_in.set_capability(account, "transfers", "active")
    await hooks.flush()
    # Reserved while active; Stripe restricts the account before the dispatcher sends it.
    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id
    earned = await ledger.balance(store, ledger.node_account(node.node_id))
    stand_in.set_capability(account, "transfers", "pending")
    await hooks.flush()
    await dispatch.dispatch_due(store, payments, now_ms=T0)
    failed = await records.get_payout(store, payout_id)
    assert failed.status == "failed" and "pending" in (failed.error or "")
    assert await ledger.balance(store, ledger.node_account(node.node_id)) == (
        earned + failed.amount_micro_usd
    )
    assert http.writes("/v1/transfers") == []  # Stripe was never asked
    stand_in.set_capability(account, "transfers", "active")
    await hooks.flush()
    assert (await payouts.retry(store, payments, payout_id, now=T0)).status == "paid"
    assert (await ledger.check(store)).ok


async def test_a_node_outside_the_us_is_onboarded_as_a_recipient_and_paid(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    stand_in.available_cents = 10**9
    await paid_credit(store, payments, stand_in, hooks, 50_000_000)
    abroad = await register_node(store)
    de = await onboarding.onboard(store, payments, abroad.node_id, country="de")
    [de_create] = http.writes("/v1/accounts")
    assert de_create.params["country"] == "DE"
    assert de_create.params["tos_acceptance"] == {"service_agreement": "recipient"}
    stand_in.complete_onboarding(de.account_id)
    await hooks.flush()
    payee = await store.redis.hgetall(store.keys.payee(abroad.node_id))
    assert payee[b"service_agreement"] == b"recipient" and payee[b"transfers"] == b"active"
    await earn(store, await registry.get_node(store, abroad.node_id))
    [payout] = await payouts.run(store, payments, abroad.node_id, now=T0)
    assert payout.status == "paid"
    assert stand_in.all("transfer")[0]["destination"] == de.account_id
    # A node in the US keeps the full agreement (Stripe's default): nothing is sent for it.
    home = await register_node(store)
    await onboarding.onboard(store, payments, home.node_id)
    assert "tos_acceptance" not in http.writes("/v1/accounts")[-1].params


async def test_onboarding_again_refreshes_what_stripe_says(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    node = await register_node(store)
    account = (await onboarding.onboard(store, payments, node.node_id)).account_id
    stand_in.complete_onboarding(account)
    hooks.skip()  # the account.updated webhook never reached us
    payee = store.keys.payee(node.node_id)
    assert await store.redis.hget(payee, "transfers") == b"inactive"
    await onboarding.onboard(store, payments, node.node_id)
    assert await store.redis.hget(payee, "transfers") == b"active"


async def test_a_payout_reserved_before_keys_were_numbered_keeps_its_first_key(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    node: Node,
) -> None:
    payout_id = await payouts.reserve(store, node.node_id, now=T0)
    assert payout_id
    await store.redis.hdel(store.keys.payout(payout_id), "key_n")  # as an older lcn wrote it
    http.trap("/v1/transfers", "network-after")  # made; the answer was lost
    await dispatch.dispatch_due(store, payments, now_ms=T0)
    await dispatch.dispatch_due(store, payments, now_ms=T0 + HOUR_MS)
    assert (await records.get_payout(store, payout_id)).status == "paid"
    writes = http.writes("/v1/transfers")
    assert [w.idempotency_key for w in writes] == [f"lcn-{store.pool}-payout-{payout_id}-1"] * 2
    assert len(stand_in.all("transfer")) == 1
