"""Each row of reconcile's tables, on one pair of records that it alone should flag: the kinds
the end-to-end tests (test_reconcile, test_books) cannot easily provoke through Stripe."""

from __future__ import annotations

from typing import Any

import pytest

from core.models.records.payout import PayoutRecord
from core.models.records.purchase import PurchaseRecord
from core.models.records.refund import RefundRecord
from core.payments.reconcile_checks import (
    Charge,
    StripeRefund,
    Transfer,
    compare_payouts,
    compare_purchases,
    compare_refunds,
)

DOLLAR = 1_000_000  # micro-USD; Stripe's side is in cents


def payout(**fields: str) -> PayoutRecord:
    base = {"id": "po_1", "node": "n", "account": "acct_1", "amount": str(DOLLAR), "gen": "1"}
    return PayoutRecord.from_hash({**base, "status": "paid", "transfer": "tr_1", **fields})


def transfer(**fields: Any) -> Transfer:
    meta = {"lcn_payout": fields.pop("payout", "po_1"), "lcn_gen": "1"}
    base = {"id": "tr_1", "amount": 100, "amount_reversed": 0, "destination": "acct_1"}
    return Transfer.from_stripe({**base, "metadata": meta, **fields})


def purchase(**fields: str) -> PurchaseRecord:
    base = {"id": "pu_1", "kind": "credit", "amount": str(DOLLAR), "payment_intent": "pi_1"}
    return PurchaseRecord.from_hash({**base, "status": "paid", **fields})


def charge(**fields: Any) -> Charge:
    meta = {"lcn_purchase": fields.pop("purchase", "pu_1")}
    base = {"id": "ch_1", "amount": 100, "amount_refunded": 0, "status": "succeeded"}
    return Charge.from_stripe({**base, "metadata": meta, **fields})


def refund(**fields: str) -> RefundRecord:
    base = {"id": "rf_1", "purchase": "pu_1", "amount": str(DOLLAR), "stripe_refund": "re_1"}
    return RefundRecord.from_hash({**base, "status": "succeeded", **fields})


def stripe_refund(**fields: Any) -> StripeRefund:
    meta = {"lcn_refund": fields.pop("refund", "rf_1")}
    base = {"id": "re_1", "amount": 100, "status": "succeeded"}
    return StripeRefund.from_stripe({**base, "metadata": meta, **fields})


def test_records_that_agree_with_stripe_are_not_flagged() -> None:
    assert compare_payouts([payout()], [transfer()]) == []
    assert compare_purchases([purchase()], [charge()]) == []
    assert compare_refunds([refund()], [stripe_refund()]) == []


CASES = [
    ("duplicate_transfer", lambda: compare_payouts([payout()], [transfer(), transfer(id="tr_2")])),
    ("transfer_missing", lambda: compare_payouts([payout()], [])),
    ("amount_differs", lambda: compare_payouts([payout()], [transfer(amount=99)])),
    ("destination_differs", lambda: compare_payouts([payout()], [transfer(destination="acct_2")])),
    ("transfer_reversed", lambda: compare_payouts([payout()], [transfer(amount_reversed=10)])),
    ("transfer_not_booked", lambda: compare_payouts([payout(status="sent")], [transfer()])),
    ("unknown_transfer", lambda: compare_payouts([], [transfer(payout="po_9")])),
    ("payment_mismatch", lambda: compare_purchases([purchase(status="mismatch")], [charge()])),
    ("charge_missing", lambda: compare_purchases([purchase()], [charge(status="failed")])),
    ("amount_differs", lambda: compare_purchases([purchase()], [charge(amount=99)])),
    ("refunded_differs", lambda: compare_purchases([purchase()], [charge(amount_refunded=1)])),
    ("charge_not_booked", lambda: compare_purchases([purchase(status="open")], [charge()])),
    (
        "duplicate_charge",
        lambda: compare_purchases([purchase()], [charge(), charge(id="ch_2")]),
    ),
    ("unknown_charge", lambda: compare_purchases([], [charge(purchase="pu_9")])),
    ("refund_missing", lambda: compare_refunds([refund()], [stripe_refund(status="failed")])),
    ("amount_differs", lambda: compare_refunds([refund()], [stripe_refund(amount=99)])),
    ("refund_not_booked", lambda: compare_refunds([refund(status="sent")], [stripe_refund()])),
    ("unknown_refund", lambda: compare_refunds([], [stripe_refund(refund="rf_9")])),
    ("refund_not_booked", lambda: compare_refunds([], [stripe_refund(refund="", id="re_9")])),
]


@pytest.mark.parametrize(("kind", "compare"), CASES, ids=[kind for kind, _ in CASES])
def test_each_disagreement_is_flagged_once_by_its_own_row(kind: str, compare: Any) -> None:
    assert [m.kind for m in compare()] == [kind]


def test_a_refund_in_flight_is_not_a_refunded_difference() -> None:
    """Stripe may already have refunded what we still hold as `refunding`."""
    on_the_way = purchase(refunding=str(DOLLAR // 100))
    assert compare_purchases([on_the_way], [charge(amount_refunded=1)]) == []


def test_a_mismatch_names_the_record_and_the_stripe_object() -> None:
    (found,) = compare_payouts([payout()], [transfer(amount=99)])
    assert (found.record, found.stripe_id) == ("po_1", "tr_1")
    assert found.detail == "Payout po_1 is $1.00, the transfer $0.99."
