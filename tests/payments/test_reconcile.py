"""`reconcile` lists every disagreement between our records and Stripe's, and none when the two
agree."""

from __future__ import annotations

from core import registry
from core.devkit.standin_api import StripeStandIn
from core.payments import payouts, purchases, refunds
from core.payments.client import Payments
from core.payments.reconcile import reconcile
from core.store import Store
from tests.jobfactory import CREATOR
from tests.payments.conftest import Webhooks, buy_job_logs, earn, onboarded


async def activity(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> dict[str, str]:
    """Some of everything: a paid-out node, a credit purchase with a refund, a sale."""
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=2)
    [payout] = await payouts.run(store, payments, node.node_id)
    credit = await purchases.buy_credit(store, payments, CREATOR, 10_000_000)
    sale = await buy_job_logs(store, payments)
    assert credit.session_id and sale.session_id
    stand_in.complete_checkout(credit.session_id)
    stand_in.complete_checkout(sale.session_id)
    await hooks.flush()
    refund = await refunds.refund(store, payments, credit.purchase_id, amount_micro=1_000_000)
    await hooks.flush()
    return {
        "payout": payout.payout_id,
        "transfer": payout.transfer_id or "",
        "credit": credit.purchase_id,
        "refund": refund.refund_id,
    }


async def test_records_that_agree_with_stripe_reconcile_clean(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    await activity(store, payments, stand_in, hooks)
    report = await reconcile(store, payments)
    assert report.mismatches == []
    assert (report.payouts, report.purchases, report.refunds) == (1, 2, 1)
    assert (report.transfers, report.charges, report.stripe_refunds) == (1, 2, 1)


async def test_every_kind_of_disagreement_is_listed(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    done = await activity(store, payments, stand_in, hooks)
    node_id = stand_in.all("transfer")[0]["metadata"]["lcn_node"]
    await earn(store, await registry.get_node(store, node_id), times=2)
    [second] = await payouts.run(store, payments, node_id)
    # A transfer reversed at Stripe.
    stand_in.reverse_transfer(second.transfer_id or "", 100)
    # A charge whose webhooks never reached us.
    lost = await purchases.buy_credit(store, payments, CREATOR, 3_000_000)
    assert lost.session_id
    stand_in.complete_checkout(lost.session_id)
    hooks.skip()
    # A Dashboard refund we never heard of.
    credit_intent = stand_in.all("payment_intent")[0]["id"]
    stand_in.refund_outside(credit_intent, 100)
    hooks.skip()
    # A transfer that vanished from Stripe's side (or was never made).
    del stand_in.objects["transfer"][done["transfer"]]
    report = await reconcile(store, payments)
    kinds = sorted(m.kind for m in report.mismatches)
    assert kinds == [
        "charge_not_booked",
        "refund_not_booked",
        "refunded_differs",
        "transfer_missing",
        "transfer_reversed",
    ], report.mismatches
    assert all(m.detail.endswith(".") for m in report.mismatches)
    assert not report.ok


async def test_a_payout_stuck_in_sent_that_stripe_paid_is_a_mismatch_until_recovered(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    from core.payments import outbox

    node = await onboarded(store, payments, stand_in, hooks)
    await earn(store, node)
    payout_id = await payouts.reserve(store, node.node_id)
    assert payout_id
    rec = await outbox.claim(store, f"payout:{payout_id}", now=outbox.now_ms())
    assert rec is not None
    # Stripe makes the transfer; we never record it (a crash).
    await payments.stripe.v1.transfers.create_async(
        {
            "amount": 7,
            "currency": "usd",
            "destination": node.stripe_account or "",
            "metadata": {"lcn_pool": store.pool, "lcn_payout": payout_id, "lcn_gen": "1"},
        },
        {"idempotency_key": f"lcn-{store.pool}-payout-{payout_id}-1"},
    )
    report = await reconcile(store, payments)
    assert [m.kind for m in report.mismatches] == ["transfer_not_booked"]
