"""The books check knows the postings the refund work added: a mismatched payment booked to
`suspense` (once, for exactly what arrived), a refund's reversal, and where a refund may come
from (the creator or platform for a credited purchase, suspense for one never credited).
Imitations of them, written straight into Redis, are each named as unproven."""

from __future__ import annotations

from core import ledger
from core.devkit.standin_api import StripeStandIn
from core.payments import records
from core.payments.client import Payments
from core.store import Store
from tests.forgery import FIVE_THOUSAND_USD, forge
from tests.jobfactory import CREATOR
from tests.payments.conftest import Webhooks, paid_credit
from tests.payments.test_refunds_hostile import mismatched

CREDIT = ledger.creator_account(CREATOR)


async def test_suspense_and_refund_reversals_of_real_work_are_proven(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    credited = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    odd = await mismatched(store, payments, stand_in, hooks, CREATOR)
    assert credited.payment_intent and odd.payment_intent
    for intent in (credited.payment_intent, odd.payment_intent):
        made = stand_in.refund_outside(intent, 200)
        stand_in.fail_refund(made["id"])
        stand_in.refund_outside(intent, 300)
    await hooks.flush()
    idems = [f[b"idem"].decode() for _, f in await store.redis.xrange(store.keys.journal)]
    assert sum(i.startswith("suspense:purchase:") for i in idems) == 1
    assert sum(i.startswith("refund:external:") for i in idems) == 4
    assert sum(i.startswith("refund:reversed:") for i in idems) == 2
    for chunk in (1, 3, 5000):
        check = await ledger.check(store, chunk=chunk)
        assert check.ok and check.proven and check.payable, check.problems
    assert await ledger.balance(store, "suspense") == 12_000_000 - 3_000_000


async def test_imitations_of_suspense_and_refund_postings_are_named(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    credited = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    odd = await mismatched(store, payments, stand_in, hooks, CREATOR)
    assert odd.payment_intent
    made = stand_in.refund_outside(odd.payment_intent, 500)
    await hooks.flush()
    refund_id = f"ext-{made['id']}"
    assert (await records.get_refund(store, refund_id)).status == "succeeded"
    assert (await ledger.check(store)).ok
    cases = [
        # Money into suspense for a purchase that does not exist.
        (
            "suspense:purchase:pu_nothing",
            "suspense",
            "pu_nothing",
            [("world", "suspense", FIVE_THOUSAND_USD, "suspense")],
            "no purchase pu_nothing exists",
        ),
        # For a purchase that was credited: its money is not in suspense.
        (
            f"suspense:purchase:{credited.purchase_id}",
            "suspense",
            credited.purchase_id,
            [("world", "suspense", 10_000_000, "suspense")],
            "not a mismatched payment",
        ),
        # More than arrived, under the real posting's key.
        (
            f"suspense:purchase:{odd.purchase_id}",
            "suspense",
            odd.purchase_id,
            [("world", "suspense", FIVE_THOUSAND_USD, "suspense")],
            "payment to suspense",
        ),
        # A Dashboard refund of the uncredited purchase "reversed" into the creator's credit.
        (
            f"refund:reversed:{refund_id}",
            "refund_reversed",
            odd.purchase_id,
            [("world", CREDIT, 5_000_000, "refund_reversed")],
            f"does not move refund {refund_id}",
        ),
    ]
    # A second booking of the real suspense posting, copied entry for entry.
    [(_, real)] = [
        (i, f)
        for i, f in await store.redis.xrange(store.keys.journal)
        if f[b"idem"].startswith(b"suspense:")
    ]
    copy = await store.redis.xadd(store.keys.journal, real)
    await store.redis.hincrby(store.keys.balances, "world", -12_000_000)
    await store.redis.hincrby(store.keys.balances, "suspense", 12_000_000)
    forged = [(copy.decode(), "already in suspense")]
    for idem, kind, ref, legs, why in cases:
        forged.append((await forge(store, idem, kind, ref, legs), why))
    check = await ledger.check(store)
    reasons = {u.posting_id: u.reason for u in check.unproven}
    assert check.unproven_count == len(forged), reasons
    for posting_id, why in forged:
        assert why in reasons[posting_id], (posting_id, reasons[posting_id])


async def test_a_refund_record_whose_origin_is_not_its_purchases_is_unproven(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    """Someone rewrites a Dashboard refund of an uncredited purchase to come from a creator:
    its booking no longer matches what the purchase booked, and the check says so. (Rewritten
    before the books are first checked: a check that continues from a checkpoint does not judge
    postings it already proved again; the untouched case is proven in the first test.)"""
    odd = await mismatched(store, payments, stand_in, hooks, CREATOR)
    assert odd.payment_intent
    made = stand_in.refund_outside(odd.payment_intent, 500)
    await hooks.flush()
    key = f"{store.keys.prefix}refund:ext-{made['id']}"
    await store.redis.hset(key, "origin", CREDIT)
    check = await ledger.check(store)
    [unproven] = check.unproven
    assert unproven.idem == f"refund:external:{made['id']}"
    assert (
        f"comes from {CREDIT}, not from what purchase {odd.purchase_id} booked" in unproven.reason
    )
