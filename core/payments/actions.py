"""Operators' payment actions, each audited through core.actions.audited (refusals included,
"payments are off" among them). The console confirms them first and refuses them in its
read-only mode before calling here."""

from __future__ import annotations

from core.access.roles import Operator, audit_name
from core.actions import audited
from core.money import format_usd
from core.payments import onboarding, payouts, refunds
from core.payments.amounts import RefundAmount
from core.payments.client import Payments
from core.payments.onboarding import Onboarding
from core.payments.records import Payout, PayoutRun, Refund
from core.store import Store


async def pay_out_node(
    store: Store, payments: Payments | None, operator: Operator, node_id: str | None
) -> PayoutRun:
    """Pay the node's available earnings out now (None: every onboarded node); a node with
    less than a whole cent available gets nothing."""

    async def work() -> PayoutRun:
        return PayoutRun(payouts=await payouts.run(store, payments, node_id))

    return await audited(store, operator, "payout.run", node_id or "all nodes", work)


async def retry_payout(
    store: Store, payments: Payments | None, operator: Operator, payout_id: str
) -> Payout:
    """Send a pending payout now, or a failed one again."""

    async def work() -> Payout:
        return await payouts.retry(store, payments, payout_id)

    return await audited(store, operator, "payout.retry", payout_id, work)


async def refund_purchase(
    store: Store,
    payments: Payments | None,
    operator: Operator,
    purchase_id: str,
    amount_micro: RefundAmount,
    reason: str = "",
) -> Refund:
    """Refund `amount_micro` of a purchase through Stripe ('all': all that is left); the ledger
    follows."""

    async def work() -> Refund:
        return await refunds.refund(
            store,
            payments,
            purchase_id,
            amount_micro=amount_micro,
            reason=reason,
            operator=audit_name(operator),
        )

    shown = amount_micro if isinstance(amount_micro, str) else format_usd(amount_micro)
    what = f"{purchase_id} {shown}"
    return await audited(store, operator, "payment.refund", what, work)


async def onboard_node(
    store: Store,
    payments: Payments | None,
    operator: Operator,
    node_id: str,
    *,
    return_url: str | None = None,
    refresh_url: str | None = None,
    country: str = "US",
    email: str | None = None,
) -> Onboarding:
    """Create the node's Stripe Connect account (once) and an onboarding link."""

    async def work() -> Onboarding:
        return await onboarding.onboard(
            store,
            payments,
            node_id,
            country=country,
            email=email,
            return_url=return_url or onboarding.DEFAULT_RETURN_URL,
            refresh_url=refresh_url or onboarding.DEFAULT_REFRESH_URL,
        )

    return await audited(store, operator, "payout.onboard", node_id, work)
