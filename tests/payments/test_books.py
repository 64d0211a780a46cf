"""Stripe's fees, transfer reversals and disputes are ledger postings, each booked once and proven
by the books check; reconcile compares our books' cash with Stripe's balance and watches the
`world` account. Everything goes through the real `stripe` StripeClient to the stand-in, with
its events delivered signed to our webhook handler, on a real Redis."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core import ledger
from core.devkit.standin_api import (
    DISPUTE_FEE_CENTS,
    START_BALANCE_CENTS,
    StripeStandIn,
    card_fee_cents,
)
from core.errors import InvalidInput
from core.payments import dispatch, fees, payouts, purchases, refunds
from core.payments.client import Payments
from core.payments.reconcile import ledger_cash, reconcile
from core.payments.records import get_refund, raw_record
from core.store import Store
from tests.forgery import forge
from tests.jobfactory import CREATOR
from tests.payments.conftest import Webhooks, buy_job_logs, onboarded, paid_credit
from tests.payments.fakes import RecordingHTTPClient

CENT = 10_000


async def buy(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks, cents: int
) -> str:
    """The creator buys credit through Checkout and pays; the purchase id."""
    return (await paid_credit(store, payments, stand_in, hooks, cents * CENT)).purchase_id


async def books_clean(store: Store) -> None:
    check = await ledger.check(store)
    assert check.ok and check.proven, (check.problems, check.unproven)
    full = await ledger.check(store, full=True)
    assert full.ok and full.proven, (full.problems, full.unproven)


async def reconciled(store: Store, payments: Payments) -> None:
    """Reconcile is clean, and Stripe's balance is exactly our books' cash plus the money the
    stand-in began with (not this pool's)."""
    report = await reconcile(store, payments, other_cents=START_BALANCE_CENTS)
    assert report.mismatches == []
    assert report.stripe_balance_cents == START_BALANCE_CENTS + report.ledger_cash_cents


def intent_of(stand_in: StripeStandIn) -> str:
    [intent] = stand_in.all("payment_intent")
    return str(intent["id"])


def last_event(stand_in: StripeStandIn, kind: str) -> dict[str, Any]:
    return [e for e in stand_in.events if e["type"] == kind][-1]


# -- Stripe's fee on a charge -----------------------------------------------------------------


async def test_the_fee_on_a_charge_is_read_from_its_balance_transaction_and_booked_once(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    http: RecordingHTTPClient,
) -> None:
    pid = await buy(store, payments, stand_in, hooks, 2500)
    fee = card_fee_cents(2500) * CENT
    assert await ledger.balance(store, "stripe_fees") == 0  # not read yet: the dispatcher does
    await dispatch.dispatch_due(store, payments)
    reads = [s for s in http.seen if s.path.startswith("/v1/payment_intents/")]
    assert reads and reads[-1].params["expand"] == ["latest_charge.balance_transaction"]
    assert await ledger.balance(store, "stripe_fees") == fee
    assert await ledger.balance(store, "platform") == -fee  # the platform pays Stripe's fee
    assert await ledger.balance(store, f"creator:{CREATOR}") == 2500 * CENT
    rec = await raw_record(store, store.keys.purchase(pid))
    assert int(rec["stripe_fee"]) == fee and rec["fee_txn"].startswith("txn_")
    # Once: again from the queue, from reconcile, or redelivered events change nothing.
    assert await fees.book(store, payments, pid, now=1) == "duplicate"
    await fees.queue(store, pid)
    await dispatch.dispatch_due(store, payments)
    hooks.delivered = 0
    await hooks.flush()
    assert await ledger.balance(store, "stripe_fees") == fee
    await books_clean(store)
    await reconciled(store, payments)


async def test_reconcile_books_a_fee_the_dispatcher_never_read(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    await buy(store, payments, stand_in, hooks, 1000)
    await store.redis.delete(store.keys.fees_due)  # the queue entry is lost
    await reconciled(store, payments)
    assert await ledger.balance(store, "stripe_fees") == card_fee_cents(1000) * CENT


async def test_a_payment_of_nothing_books_a_zero_fee_without_asking_stripe(
    store: Store, payments: Payments, stand_in: StripeStandIn
) -> None:
    checkout = await purchases.buy_credit(store, payments, CREATOR, 10 * 1_000_000)
    pid = checkout.purchase_id
    assert await purchases.paid(store, pid, cents=0, payment_intent="pi_never_charged") == (
        "mismatch"
    )
    asked = len(stand_in.requests)
    assert await fees.book(store, payments, pid, now=1) == "booked"
    assert len(stand_in.requests) == asked  # no charge, so nothing to read
    assert (await raw_record(store, store.keys.purchase(pid)))["stripe_fee"] == "0"
    assert await fees.book_due(store, payments) == 0  # "duplicate": off the queue
    assert await store.redis.zcard(store.keys.fees_due) == 0
    assert await ledger.balance(store, "stripe_fees") == 0


async def test_a_fee_above_what_was_paid_is_refused_before_any_write(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    pid = await buy(store, payments, stand_in, hooks, 1000)
    [txn] = stand_in.objects["balance_transaction"].values()
    txn["fee"] = 1001  # more than the charge
    with pytest.raises(InvalidInput, match="whole cents from 0"):
        await fees.book(store, payments, pid, now=1)
    txn["fee"] = 2.5
    with pytest.raises(InvalidInput, match="not a whole number of cents"):
        await fees.book(store, payments, pid, now=1)
    assert "stripe_fee" not in await raw_record(store, store.keys.purchase(pid))
    assert await ledger.balance(store, "stripe_fees") == 0


# -- transfer reversals ------------------------------------------------------------------------


async def paid_out(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> payouts.Payout:
    await buy(store, payments, stand_in, hooks, 5000)
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=3)
    [payout] = await payouts.run(store, payments, node.node_id)
    assert payout.status == "paid" and payout.transfer_id
    await hooks.flush()
    return payout


async def test_partial_and_full_transfer_reversals_are_booked_once_each(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    payout = await paid_out(store, payments, stand_in, hooks)
    paid_cents = payout.amount_micro_usd // CENT
    stand_in.reverse_transfer(payout.transfer_id or "", 5)
    [result] = await hooks.flush()
    assert result.detail == "1 reversal(s) booked"
    assert await ledger.balance(store, "reversed") == 5 * CENT
    await books_clean(store)  # a checkpoint: the next reversal is proven from it
    # The rest: the event lists both reversals; only the new one is booked.
    stand_in.reverse_transfer(payout.transfer_id or "")
    [result] = await hooks.flush()
    assert result.detail == "1 reversal(s) booked"
    assert await ledger.balance(store, "reversed") == paid_cents * CENT
    rec = await raw_record(store, store.keys.payout(payout.payout_id))
    assert int(rec["reversed"]) == payout.amount_micro_usd
    # Stripe delivers both events again (new event ids): nothing more is booked.
    for event in [e for e in stand_in.events if e["type"] == "transfer.reversed"]:
        again = dict(event, id=event["id"] + "_again")
        assert (await hooks.deliver(again)).detail == "0 reversal(s) booked"
    assert await ledger.balance(store, "reversed") == paid_cents * CENT
    await books_clean(store)
    await reconciled(store, payments)


async def test_a_reversal_reconcile_has_not_seen_booked_is_listed(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    payout = await paid_out(store, payments, stand_in, hooks)
    stand_in.reverse_transfer(payout.transfer_id or "", 7)
    hooks.skip()  # the webhook never arrives
    report = await reconcile(store, payments, other_cents=START_BALANCE_CENTS)
    kinds = {m.kind: m.detail for m in report.mismatches}
    assert "our books $0.00" in kinds["transfer_reversed"]
    assert "$0.07 apart" in kinds["cash_differs"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: r.update(amount=-500), "not a whole number of cents"),
        (lambda r: r.update(amount=1e15), "not a whole number of cents"),
        (lambda r: r.update(amount="5"), "not a whole number of cents"),
        (lambda r: r.update(id="re_123"), "not a Stripe reversal id"),
        (lambda r: r.update(amount=10**9), "add up to more than the transfer"),
    ],
)
async def test_a_hostile_reversal_is_refused_before_any_write(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    change: Any,
    reason: str,
) -> None:
    payout = await paid_out(store, payments, stand_in, hooks)
    stand_in.reverse_transfer(payout.transfer_id or "", 5)
    event = json.loads(json.dumps(last_event(stand_in, "transfer.reversed")))
    change(event["data"]["object"]["reversals"]["data"][0])
    with pytest.raises(InvalidInput, match=reason):
        await hooks.deliver(event)
    assert await ledger.balance(store, "reversed") == 0
    assert not await store.redis.exists(store.keys.webhook_event(event["id"]))


async def test_a_reversal_of_more_than_is_left_of_a_payout_is_refused(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    payout = await paid_out(store, payments, stand_in, hooks)
    stand_in.reverse_transfer(payout.transfer_id or "")
    await hooks.flush()
    event = json.loads(json.dumps(last_event(stand_in, "transfer.reversed")))
    event["id"] += "_forged"
    event["data"]["object"]["reversals"]["data"][0]["id"] = "trr_another"
    with pytest.raises(InvalidInput, match="would reverse more of payout"):
        await hooks.deliver(event)
    assert await ledger.balance(store, "reversed") == payout.amount_micro_usd


# -- disputes ----------------------------------------------------------------------------------


async def test_a_lost_dispute_takes_the_creators_credit_then_the_platforms(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    await buy(store, payments, stand_in, hooks, 100)
    await dispatch.dispatch_due(store, payments)  # the charge's fee
    creator = f"creator:{CREATOR}"
    # The creator spends part of the $1.00 on real jobs before disputing the payment.
    await onboarded(store, payments, stand_in, hooks, jobs_run=4)
    left = await ledger.balance(store, creator)
    assert 0 < left < 100 * CENT
    platform_before = await ledger.balance(store, "platform")
    dispute = stand_in.dispute(intent_of(stand_in))
    [created, _withdrawn] = await hooks.flush()
    assert created.detail == "opened"
    assert await ledger.balance(store, creator) == 0  # what is left of the credit is held
    assert await ledger.balance(store, "disputes") == 100 * CENT
    fee = DISPUTE_FEE_CENTS * CENT
    # The platform fronts what the creator already spent, and pays the dispute fee.
    assert await ledger.balance(store, "platform") == platform_before - (100 * CENT - left) - fee
    stand_in.close_dispute(dispute["id"], won=False)
    [closed] = await hooks.flush()
    assert closed.detail == "lost"
    assert await ledger.balance(store, "disputes") == 0
    assert await ledger.balance(store, creator) == 0
    # Redelivered, in any order: once each.
    for kind in ("charge.dispute.created", "charge.dispute.closed"):
        event = last_event(stand_in, kind)
        assert (await hooks.deliver(dict(event, id=event["id"] + "_again"))).detail == "duplicate"
    assert await ledger.balance(store, "world") == 0  # the $1.00 came in and went back out
    await books_clean(store)
    await reconciled(store, payments)


async def test_a_won_dispute_gives_the_money_back_where_it_came_from(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    await buy(store, payments, stand_in, hooks, 2500)
    await dispatch.dispatch_due(store, payments)
    creator = f"creator:{CREATOR}"
    before = await ledger.balances(store)
    dispute = stand_in.dispute(intent_of(stand_in), 1500)
    await hooks.flush()
    assert await ledger.balance(store, creator) == 1000 * CENT
    assert await ledger.balance(store, "disputes") == 1500 * CENT
    await books_clean(store)  # a checkpoint with the dispute open: the close continues from it
    stand_in.close_dispute(dispute["id"], won=True)
    results = await hooks.flush()
    assert results[0].detail == "won"
    after = await ledger.balances(store)
    assert after[creator] == before[creator]
    assert after["disputes"] == 0
    # The US dispute fee is not returned.
    assert after["stripe_fees"] == before["stripe_fees"] + DISPUTE_FEE_CENTS * CENT
    await books_clean(store)
    await reconciled(store, payments)


async def test_a_dispute_of_a_sale_and_a_close_that_arrives_first(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    sale = await buy_job_logs(store, payments)
    stand_in.complete_checkout(sale.session_id or "")
    await hooks.flush()
    dispute = stand_in.dispute(intent_of(stand_in))
    hooks.skip()  # created and funds_withdrawn are late
    stand_in.close_dispute(dispute["id"], won=False)
    [closed] = await hooks.flush()
    assert closed.detail == "lost"  # the open is booked first, then the close
    assert await ledger.balance(store, "disputes") == 0
    rec = await raw_record(store, store.keys.dispute(dispute["id"]))
    assert rec["origin"] == "platform" and rec["status"] == "lost"
    created = last_event(stand_in, "charge.dispute.created")
    assert (await hooks.deliver(created)).detail == "duplicate"
    await books_clean(store)
    await reconciled(store, payments)


async def test_an_inquiry_moves_no_money_and_a_hostile_dispute_is_refused(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    await buy(store, payments, stand_in, hooks, 2500)
    stand_in.dispute(intent_of(stand_in))
    event = json.loads(json.dumps(last_event(stand_in, "charge.dispute.created")))
    inquiry = json.loads(json.dumps(event))
    inquiry["id"] += "_inquiry"
    inquiry["data"]["object"].update(status="warning_needs_response", balance_transactions=[])
    assert (await hooks.deliver(inquiry)).outcome == "ignored"
    for field, value, reason in (
        ("amount", -2500, "not a whole number of cents"),
        ("amount", 2500.0, "not a whole number of cents"),
        ("amount", 2501, "more than the"),
        ("id", "ch_x", "not a Stripe dispute id"),
    ):
        hostile = json.loads(json.dumps(event))
        hostile["id"] += "_" + field
        hostile["data"]["object"][field] = value
        with pytest.raises(InvalidInput, match=reason):
            await hooks.deliver(hostile)
    hostile = json.loads(json.dumps(event))
    hostile["data"]["object"]["balance_transactions"][0]["fee"] = "1500"
    with pytest.raises(InvalidInput, match="not a whole number of cents"):
        await hooks.deliver(hostile)
    assert await ledger.balance(store, "disputes") == 0
    assert not await store.redis.exists(store.keys.webhook_event(event["id"]))


# -- forged postings ---------------------------------------------------------------------------


async def test_forged_fee_reversal_and_dispute_postings_are_unproven(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    pid = await buy(store, payments, stand_in, hooks, 2500)
    await dispatch.dispatch_due(store, payments)
    payout = await paid_out(store, payments, stand_in, hooks)
    stand_in.reverse_transfer(payout.transfer_id or "", 5)
    dispute = stand_in.dispute(intent_of_first(stand_in), 100)
    await hooks.flush()
    await books_clean(store)
    creator = f"creator:{CREATOR}"
    forged = {
        # A second fee for the same purchase, paid back to the platform "by Stripe".
        await forge(
            store,
            f"stripe_fee:{pid}x",
            "stripe_fee",
            pid,
            [("stripe_fees", "platform", 1_000 * CENT, "stripe_fee")],
        ),
        # A reversal Stripe never made: money into `reversed` from nowhere.
        await forge(
            store,
            "reversal:trr_forged",
            "payout_reversed",
            payout.payout_id,
            [("world", "reversed", 1_000 * CENT, "payout_reversed")],
        ),
        # The same reversal booked twice under a copied record.
        await forge(
            store,
            f"reversal:{first_reversal(stand_in)}",
            "payout_reversed",
            payout.payout_id,
            [("world", "reversed", 5 * CENT, "payout_reversed")],
        ),
        # A dispute "won" that was never lost, paying the creator twice its hold.
        await forge(
            store,
            f"dispute:won:{dispute['id']}",
            "dispute_won",
            pid,
            [
                ("disputes", creator, 200 * CENT, "dispute_won"),
                ("disputes", "platform", 0, "dispute_won"),
                ("stripe_fees", "platform", 0, "dispute_won"),
            ],
        ),
        # A dispute with no record: the creator's money "held".
        await forge(
            store,
            "dispute:open:du_forged",
            "dispute",
            pid,
            [
                ("world", "disputes", 100 * CENT, "dispute"),
                ("platform", "disputes", 0, "dispute"),
                ("platform", "stripe_fees", 0, "dispute_fee"),
            ],
        ),
    }
    check = await ledger.check(store)
    assert check.balanced and not check.proven
    assert {u.posting_id for u in check.unproven} == forged
    reasons = " | ".join(u.reason for u in check.unproven)
    assert "no transfer reversal trr_forged exists" in reasons
    assert "already booked" in reasons
    assert "no dispute du_forged exists" in reasons
    assert f"dispute {dispute['id']} is open, not won" in reasons
    assert f"no purchase {pid}x exists" in reasons
    report = await reconcile(store, payments, other_cents=START_BALANCE_CENTS)
    assert {m.record for m in report.mismatches if m.kind == "unproven_posting"} == forged


def intent_of_first(stand_in: StripeStandIn) -> str:
    return str(stand_in.all("payment_intent")[0]["id"])


def first_reversal(stand_in: StripeStandIn) -> str:
    [transfer] = stand_in.all("transfer")
    return str(transfer["reversals"]["data"][-1]["id"])


# -- reconcile: cash and the world account -----------------------------------------------------


async def test_reconcile_reports_cash_stripe_does_not_have_and_a_positive_world(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    await buy(store, payments, stand_in, hooks, 2500)
    await dispatch.dispatch_due(store, payments)
    await reconciled(store, payments)
    stand_in.available_cents -= 1234  # money gone from the account that our books still hold
    report = await reconcile(store, payments, other_cents=START_BALANCE_CENTS)
    [cash] = [m for m in report.mismatches if m.kind == "cash_differs"]
    assert "-$12.34 apart" in cash.detail
    # Shared with other business (other_cents unknown): it still has more than our books.
    assert (await reconcile(store, payments)).ok
    stand_in.available_cents = 0
    stand_in.pending_funds.clear()
    report = await reconcile(store, payments)
    [cash] = [m for m in report.mismatches if m.kind == "cash_differs"]
    held = ledger_cash(await ledger.balances(store))
    assert f"less than the ${held / 1_000_000:,.2f} our books hold there" in cash.detail
    # More booked as gone out than ever came in: world goes positive.
    stand_in.available_cents = START_BALANCE_CENTS
    await forge(
        store,
        "payout:paid:forged:1",
        "payout",
        "forged",
        [("platform", "world", 5000 * CENT, "payout")],
    )
    report = await reconcile(store, payments)
    [world] = [m for m in report.mismatches if m.kind == "world_positive"]
    assert "above zero" in world.detail


# -- refunds stop on 401/403 -------------------------------------------------------------------


@pytest.mark.parametrize("refusal", ["revoked", "restricted"])
async def test_a_refund_stripe_refuses_our_key_for_fails_at_once_without_retrying(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    http: RecordingHTTPClient,
    paid_settings: Any,
    refusal: str,
) -> None:
    pid = await buy(store, payments, stand_in, hooks, 2500)
    key = str(paid_settings.stripe_secret_key)
    (stand_in.revoked_keys if refusal == "revoked" else stand_in.restricted_keys).add(key)
    made = await refunds.refund(store, payments, pid, amount_micro=500 * CENT)
    assert made.status == "failed"
    assert "Stripe" in (made.error or "") and "fix STRIPE_SECRET_KEY" in (made.error or "")
    assert (await get_refund(store, made.refund_id)).status == "failed"
    assert await ledger.balance(store, f"creator:{CREATOR}") == 2500 * CENT
    assert await ledger.balance(store, "refunds") == 0
    # Nothing is left for the dispatcher to send again with the refused key.
    await dispatch.dispatch_due(store, payments, now_ms=10**13)
    assert len([s for s in http.seen if s.method == "POST" and s.path == "/v1/refunds"]) == 1
