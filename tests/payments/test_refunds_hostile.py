"""Issue 11's attacks on refunds, each through the real code: the webhook handler (or the
gateway), the Lua scripts, the stand-in answering through the real `stripe` library.

* A signed refund.created with a negative amount once added $5,000 of credit; one of 1e15 left
  its idempotency key marked posted with no posting. Every malformed amount is now refused
  before the first write: nothing changes and the event is not marked as seen.
* `--amount 0` (or 0.0000004, which rounded to 0) once refunded everything. An amount is now
  whole cents in (0, what is left]; 'all' is asked for by name.
* A Dashboard refund of a purchase we never credited (a `mismatch`) once took unrelated credit
  from its creator; it now comes out of `suspense`, where the payment was booked.
* A Dashboard refund that later failed was ignored; a refund that goes failed or canceled is now
  reversed, once, however many of Stripe's events say so.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from core import ledger
from core.devkit.standin_api import StripeStandIn, sign
from core.errors import Conflict, InvalidInput
from core.payments import purchases, records, refunds
from core.payments.amounts import MAX_CENTS, MAX_REFUND_MICRO
from core.payments.client import Payments
from core.store import Store
from tests.jobfactory import CREATOR
from tests.payments.conftest import WEBHOOK_SECRET, Webhooks, paid_checkout, paid_credit
from tests.payments.fakes import RecordingHTTPClient

CREDIT = ledger.creator_account(CREATOR)
OTHER = "0x" + "ef" * 20


async def mismatched(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks, buyer: str
) -> records.Purchase:
    """$10 of credit asked for, Stripe reports $12 paid (a Checkout Session changed outside
    lcn): nothing is credited, the $12 that arrived is booked to suspense."""
    checkout = await purchases.buy_credit(store, payments, buyer, 10_000_000)
    assert checkout.session_id
    stand_in.objects["session"][checkout.session_id]["amount_total"] = 1200
    stand_in.complete_checkout(checkout.session_id)
    await hooks.flush()
    purchase = await records.get_purchase(store, checkout.purchase_id)
    assert purchase.status == "mismatch" and purchase.payment_intent
    return purchase


async def state(store: Store) -> tuple[dict[str, int], dict[bytes, bytes], int, int]:
    """What a refused request must leave alone: balances, idempotency keys, the journal and
    every key of the pool."""
    every = [k async for k in store.redis.scan_iter(match=store.keys.prefix + "*")]
    return (
        await ledger.balances(store),
        await store.redis.hgetall(store.keys.prefix + "ledger:idem"),
        await store.redis.xlen(store.keys.journal),
        len(every),
    )


def dashboard_refund_event(
    stand_in: StripeStandIn, payment_intent: str, amount: Any, event_id: str
) -> dict[str, Any]:
    """A refund.created as Stripe signs it for a refund made in the Dashboard, with `amount`
    as given (the attacker holds the signing secret, or Stripe sent something odd)."""
    return {
        "id": event_id,
        "object": "event",
        "type": "refund.created",
        "data": {
            "object": {
                "id": "re_forged" + event_id[-8:],
                "object": "refund",
                "amount": amount,
                "payment_intent": payment_intent,
                "currency": "usd",
                "status": "succeeded",
                "metadata": {},
            }
        },
    }


HOSTILE_AMOUNTS: dict[str, Any] = {
    "negative $5,000": -500_000,
    "1e15 (a float in JSON)": 1e15,
    "10**15 cents": 10**15,
    "just past 2^53 micro-USD": MAX_CENTS + 1,
    "a fraction": 7.5,
    "a string": "700",
    "true": True,
    "null": None,
    "zero": 0,
}


async def test_hostile_webhook_refund_amounts_change_nothing_and_are_not_marked_seen(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    before = await state(store)
    for n, (name, amount) in enumerate(HOSTILE_AMOUNTS.items()):
        event = dashboard_refund_event(stand_in, purchase.payment_intent, amount, f"evt_bad{n:08d}")
        with pytest.raises(InvalidInput, match="not a whole number of cents") as refused:
            await hooks.deliver(event)
        assert str(refused.value).count(". ") == 0, name  # one sentence
        assert await state(store) == before, name
        assert not await store.redis.exists(store.keys.webhook_event(event["id"])), name
    assert await ledger.balance(store, CREDIT) == 10_000_000
    # The same event with a sane amount is booked (so the refusals were about the amount).
    good = dashboard_refund_event(stand_in, purchase.payment_intent, 300, "evt_good0000000")
    assert (await hooks.deliver(good)).detail == "recorded"
    assert await ledger.balance(store, CREDIT) == 7_000_000
    assert (await ledger.check(store)).ok


async def test_a_dashboard_refund_above_what_is_left_is_refused_before_any_write(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    before = await state(store)
    event = dashboard_refund_event(stand_in, purchase.payment_intent, 1001, "evt_toomuch0000")
    with pytest.raises(InvalidInput, match=r"of \$10.01 is more than the \$10.00 left"):
        await hooks.deliver(event)
    assert await state(store) == before


async def test_the_gateway_answers_a_hostile_amount_with_400_and_stripe_may_retry(
    store: Store,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    gateway: httpx.AsyncClient,
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    before = await state(store)
    for n, amount in enumerate((-500_000, 1e15)):
        payload = json.dumps(
            dashboard_refund_event(stand_in, purchase.payment_intent, amount, f"evt_gw{n:010d}")
        )
        response = await gateway.post(
            "/stripe/webhook",
            content=payload,
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, WEBHOOK_SECRET),
            },
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
        assert "not a whole number of cents" in response.json()["error"]["message"]
    assert await state(store) == before


async def test_hostile_paid_amounts_are_refused_and_the_purchase_stays_open(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    checkout = await paid_checkout(store, payments, stand_in, 7_000_000)
    paid = next(e for e in stand_in.events if e["type"] == "checkout.session.completed")
    before = await state(store)
    for n, amount in enumerate((-700, 1e15, 10**15, 700.0, "700")):
        obj = {**paid["data"]["object"], "amount_total": amount}
        event = {**paid, "id": f"evt_paid{n:08d}", "data": {"object": obj}}
        with pytest.raises(InvalidInput, match="amount_total"):
            await hooks.deliver(event)
        assert await state(store) == before
    assert (await records.get_purchase(store, checkout.purchase_id)).status == "open"
    await hooks.flush()  # the genuine events
    assert await ledger.balance(store, CREDIT) == 7_000_000


async def test_the_scripts_refuse_bad_amounts_before_their_first_write(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    """Python checks first; the scripts check again, before their first write, for any caller
    that skips it: amounts reach Lua as decimal strings and must be digits below 2^53."""
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    pkey = store.keys.purchase(purchase.purchase_id)
    before = await state(store)
    for amount in ("-500000", "1e15", "1000000000000000", "7.5", "", "0x10", " 1"):
        with pytest.raises(InvalidInput, match="whole cents"):
            await store.script("record_external_refund", [pkey], "re_x", amount, "succeeded", 1)
        with pytest.raises(InvalidInput, match="whole cents"):
            await store.script("pay_purchase", [pkey], amount, "", "", "", 1)
    for amount in ("0", "-1", "1.5", "1e6", str(2**53), "all "):
        with pytest.raises(InvalidInput, match="above 0 and below 2\\^53"):
            await store.script("reserve_refund", [pkey], "rf_x", amount, "", "", 1)
    assert await state(store) == before


async def test_operator_amounts_are_whole_cents_in_zero_to_what_is_left(
    store: Store,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    pid = purchase.purchase_id
    before = await state(store)
    refusals: list[tuple[Any, str]] = [
        (0, r"must be more than \$0.00; use --all"),
        (-1_000_000, r"must be more than \$0.00"),
        (4, "whole number of cents"),  # $0.000004: no longer rounds to 0 = everything
        (1_000_001, "whole number of cents"),
        (10_010_000, r"has \$10.00 left to refund"),
        (MAX_REFUND_MICRO + 10_000, "at most"),
        (True, "whole number of micro-USD or 'all'"),
        (2.5, "whole number of micro-USD or 'all'"),
        ("everything", "whole number of micro-USD or 'all'"),
    ]
    for amount, match in refusals:
        with pytest.raises(InvalidInput, match=match) as refused:
            await refunds.refund(store, payments, pid, amount_micro=amount)
        message = str(refused.value)
        assert message.endswith(".") and message.count(". ") == 0, message
    assert await state(store) == before and http.writes("/v1/refunds") == []
    # Partial refunds sum exactly; 'all' takes what is left and no more.
    first = await refunds.refund(store, payments, pid, amount_micro=2_000_000)
    second = await refunds.refund(store, payments, pid, amount_micro=3_500_000)
    rest = await refunds.refund(store, payments, pid, amount_micro="all")
    assert [r.amount_micro_usd for r in (first, second, rest)] == [2_000_000, 3_500_000, 4_500_000]
    assert [r.status for r in (first, second, rest)] == ["succeeded"] * 3
    assert [w.params["amount"] for w in http.writes("/v1/refunds")] == ["200", "350", "450"]
    done = await records.get_purchase(store, pid)
    assert done.status == "refunded" and done.refunded_micro_usd == 10_000_000
    assert stand_in.all("charge")[0]["amount_refunded"] == 1000
    assert await ledger.balance(store, CREDIT) == 0
    with pytest.raises(Conflict, match="is refunded, not paid"):
        await refunds.refund(store, payments, pid, amount_micro="all")
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 0
    assert (await ledger.check(store)).ok


async def test_a_dashboard_refund_of_an_uncredited_purchase_comes_from_suspense(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    # The creator has credit of their own, from a purchase that was credited.
    await paid_credit(store, payments, stand_in, hooks, 5_000_000)
    odd = await mismatched(store, payments, stand_in, hooks, CREATOR)
    assert odd.payment_intent
    assert await ledger.balance(store, CREDIT) == 5_000_000
    assert await ledger.balance(store, "suspense") == 12_000_000
    stand_in.refund_outside(odd.payment_intent, 700)  # $7 back from the Dashboard
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 5_000_000  # untouched
    assert await ledger.balance(store, "suspense") == 5_000_000
    [booked] = [r for r in await records.list_refunds(store) if r.purchase_id == odd.purchase_id]
    assert booked.status == "succeeded" and booked.amount_micro_usd == 7_000_000
    assert (await records.get_purchase(store, odd.purchase_id)).status == "mismatch"
    # An operator refunds the rest of it, from suspense too; nothing is left after that.
    rest = await refunds.refund(store, payments, odd.purchase_id, amount_micro="all")
    assert rest.status == "succeeded" and rest.amount_micro_usd == 5_000_000
    assert await ledger.balance(store, "suspense") == 0
    assert await ledger.balance(store, CREDIT) == 5_000_000
    with pytest.raises(Conflict, match="nothing left to refund"):
        await refunds.refund(store, payments, odd.purchase_id, amount_micro="all")
    await hooks.flush()
    check = await ledger.check(store)
    assert check.ok and check.proven, check.problems


async def test_a_dashboard_refund_that_fails_or_is_canceled_is_reversed_once(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    credited = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    odd = await mismatched(store, payments, stand_in, hooks, OTHER)
    assert credited.payment_intent and odd.payment_intent
    failing = stand_in.refund_outside(credited.payment_intent, 400)
    canceled = stand_in.refund_outside(odd.payment_intent, 1200)
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 6_000_000
    assert await ledger.balance(store, "suspense") == 0
    assert (await records.get_purchase(store, credited.purchase_id)).refunded_micro_usd == 4_000_000
    stand_in.fail_refund(failing["id"])  # refund.updated, charge.refund.updated, refund.failed
    stand_in.fail_refund(canceled["id"], canceled=True)
    results = await hooks.flush()
    assert [r.type for r in results] == [
        "refund.updated",
        "charge.refund.updated",
        "refund.failed",
        "refund.updated",
        "charge.refund.updated",
    ]
    details = [r.detail for r in results]
    assert details == ["failed", "duplicate", "duplicate", "failed", "duplicate"]
    assert await ledger.balance(store, CREDIT) == 10_000_000
    assert await ledger.balance(store, "suspense") == 12_000_000
    for stripe_id, purchase in ((failing["id"], credited), (canceled["id"], odd)):
        rec = await records.get_refund(store, f"ext-{stripe_id}")
        assert rec.status == "failed" and rec.error
        after = await records.get_purchase(store, purchase.purchase_id)
        assert after.refunded_micro_usd == 0
    # Stripe redelivers the failure under new event ids: nothing moves again.
    for n, event in enumerate(stand_in.events[-5:]):
        assert (await hooks.deliver({**event, "id": f"evt_again{n:08d}"})).detail == "duplicate"
    assert await ledger.balance(store, CREDIT) == 10_000_000
    check = await ledger.check(store)
    assert check.ok and check.proven, check.problems


async def test_our_refund_that_fails_after_stripe_accepted_it_is_reversed_once(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    ours = await refunds.refund(store, payments, purchase.purchase_id, amount_micro=2_500_000)
    await hooks.flush()
    assert ours.status == "succeeded" and ours.stripe_refund_id
    assert await ledger.balance(store, CREDIT) == 7_500_000
    stand_in.fail_refund(ours.stripe_refund_id, canceled=True)
    details = [r.detail for r in await hooks.flush()]
    assert details == ["failed", "duplicate"]
    assert (await records.get_refund(store, ours.refund_id)).status == "failed"
    assert await ledger.balance(store, CREDIT) == 10_000_000
    reversals = [
        k for k in await store.redis.hkeys(store.keys.prefix + "ledger:idem") if b"reversed" in k
    ]
    assert reversals == [f"refund:reversed:{ours.refund_id}".encode()]
    assert (await ledger.check(store)).ok


async def test_a_refund_that_failed_before_we_saw_it_books_nothing_when_created_arrives_late(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    made = stand_in.refund_outside(purchase.payment_intent, 300)
    created = stand_in.events[-2:]  # refund.created, charge.refunded: delayed in transit
    hooks.skip()
    stand_in.fail_refund(made["id"])
    assert [r.detail for r in await hooks.flush()] == ["failed", "duplicate", "duplicate"]
    for event in created:
        await hooks.deliver(event)
    assert await ledger.balance(store, CREDIT) == 10_000_000
    assert (await records.get_refund(store, f"ext-{made['id']}")).status == "failed"
    assert (await ledger.check(store)).ok


async def test_a_stripe_refund_that_disagrees_with_ours_is_refused(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    ours = await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_000)
    await hooks.flush()
    event = next(e for e in stand_in.events if e["type"] == "refund.created")
    obj = {**event["data"]["object"], "amount": 900, "status": "failed"}
    with pytest.raises(InvalidInput, match=f"not the 100 cents of our refund {ours.refund_id}"):
        await hooks.deliver({**event, "id": "evt_disagree000", "data": {"object": obj}})
    assert await ledger.balance(store, CREDIT) == 9_000_000
