"""What operators and the orchestrator see and do: the earnings summary, the audited actions,
payments switched off, and payouts dispatched from the orchestrator's tick."""

from __future__ import annotations

import pytest

from core import events, ledger
from core.config import Settings
from core.devkit.standin_api import StripeStandIn
from core.payments import actions, dispatch, payouts, purchases, records
from core.payments.client import Payments
from core.payments.mode import PaymentsOff
from core.payments.summary import earnings_summary
from core.store import Store
from core.swarm.orchestrator import Orchestrator
from tests.helpers import register_node
from tests.jobfactory import CREATOR
from tests.payments.conftest import Webhooks, earn, onboarded


async def test_the_summary_shows_revenue_fees_payouts_refunds_and_sales_over_time(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    node = await onboarded(store, payments, stand_in, hooks)
    await earn(store, node, times=2)
    await actions.pay_out_node(store, payments, "alice", node.node_id)
    credit = await purchases.buy_credit(store, payments, CREATOR, 10_000_000)
    sale = await purchases.buy_item(store, payments, "vr-asset", CREATOR, ref="tree.glb")
    for checkout in (credit, sale):
        assert checkout.session_id
        stand_in.complete_checkout(checkout.session_id)
    await hooks.flush()
    await actions.refund_purchase(store, payments, "alice", credit.purchase_id, 2_000_000, "ask")
    summary = await earnings_summary(store, payments_enabled=True, hours=3)
    assert summary.credits_sold_micro_usd == 10_000_000
    assert summary.sales_micro_usd == 2_500_000
    assert summary.gross_volume_micro_usd == 12_500_000
    assert summary.refunds_micro_usd == 2_000_000
    assert summary.billed_micro_usd == 2 * 101_000
    assert summary.platform_fees_micro_usd + summary.node_earnings_micro_usd == 2 * 101_000
    assert summary.payouts.paid == 1 and summary.payouts.paid_micro_usd == 140_000
    assert summary.unpaid_earnings_micro_usd == 2 * 70_700 - 140_000
    assert len(summary.series) == 3
    last = summary.series[-1]
    assert (
        last.credits_micro_usd,
        last.sales_micro_usd,
        last.refunds_micro_usd,
        last.payouts_micro_usd,
    ) == (10_000_000, 2_500_000, 2_000_000, 140_000)
    audit = await events.recent_audit(store)
    assert {a["action"] for a in audit} == {"payout.run", "payment.refund"}
    assert all(a["operator"] == "alice" and a["outcome"] == "ok" for a in audit)


async def test_with_payments_off_actions_are_refused_audited_and_earnings_accrue(
    settings: Settings, store: Store
) -> None:
    off = Payments.from_settings(settings.model_copy(update={"stripe_secret_key": None}))
    assert off is None
    node = await register_node(store)
    await earn(store, node, times=2)
    with pytest.raises(PaymentsOff, match="Payments are off"):
        await actions.pay_out_node(store, off, "bob", node.node_id)
    with pytest.raises(PaymentsOff):
        await actions.refund_purchase(store, off, "bob", "pu_0000000000000000", "all")
    with pytest.raises(PaymentsOff):
        await purchases.buy_credit(store, off, CREATOR, 5_000_000)
    assert await dispatch.dispatch_due(store, off) == 0
    refused = await events.recent_audit(store)
    assert [a["outcome"] for a in refused] == ["refused", "refused"]
    assert await ledger.balance(store, ledger.node_account(node.node_id)) == 2 * 70_700
    summary = await earnings_summary(store, payments_enabled=False)
    assert not summary.payments_enabled and summary.unpaid_earnings_micro_usd == 2 * 70_700
    assert await records.list_payouts(store) == []


async def test_the_orchestrator_tick_dispatches_due_payouts(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    node = await onboarded(store, payments, stand_in, hooks)
    await earn(store, node)
    payout_id = await payouts.reserve(store, node.node_id)
    assert payout_id
    report = await Orchestrator(store, payments=payments).tick()
    assert report.extra["payouts"] == 1
    assert (await records.get_payout(store, payout_id)).status == "paid"
    idle = await Orchestrator(store).tick()  # payments off: nothing to do, nothing breaks
    assert "payouts" not in idle.extra


async def test_retry_of_an_unknown_payout_is_refused_and_audited(
    store: Store, payments: Payments
) -> None:
    from core.errors import NotFound

    with pytest.raises(NotFound):
        await actions.retry_payout(store, payments, "carol", "po_0000000000000000")
    [entry] = await events.recent_audit(store)
    assert entry["action"] == "payout.retry" and entry["outcome"] == "refused"
