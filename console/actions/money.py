"""Money commands ($, R, F) through core.payments.actions: audited there, and refused there
when payments are off. Each borrows a Stripe client for the one action (`with_payments`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from console.actions.operation import Confirmation, Operation, Outcome, Target
from console.actions.records import node_state, read_record
from console.format import short_id
from console.poller import one_line
from console.screens.prompt import PromptScreen
from core.errors import LcnError
from core.models.records.fields import opt_int
from core.money import format_usd
from core.payments import actions as payments_actions
from core.payments import records
from core.payments.cents import to_micro, whole_cents
from core.payments.client import with_payments
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store


async def ask_id(app: LcnConsole, title: str, hint: str) -> Target | None:
    answer = await app.push_screen_wait(PromptScreen(title, hint))
    return Target(answer.strip()) if answer and answer.strip() else None


class PayOut(Operation):
    selects = "node"
    core_action = "payout.run"

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        node_id = target.id
        node = await read_record(app, "node", node_id)
        if not isinstance(node, snap.NodeDetail):
            return None
        try:
            store = await app.poller.store()
            balance = opt_int(await store.redis.hget(store.keys.balances, f"node:{node_id}")) or 0
        except (RedisError, OSError) as exc:
            app.notify(f"Cannot read node {short_id(node_id)}'s balance: {one_line(exc)}",
                       severity="error")  # fmt: skip
            return None
        cents, _ = whole_cents(max(0, balance))
        payable = to_micro(cents)
        return Confirmation(
            f"Pay node {short_id(node_id)} ({node_state(node)}) {format_usd(payable)} now?",
            f"Its available whole cents ({format_usd(payable)} of "
            f"{format_usd(balance)}) go to its Stripe Connect account.",
            "Pay out",
        )

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        paid = await with_payments(
            app.settings,
            store,
            lambda s, payments: payments_actions.pay_out_node(s, payments, app.operator, target.id),
        )
        total = sum(p.amount_micro_usd for p in paid.payouts)
        return f"{len(paid.payouts)} payout(s), {format_usd(total)}"

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Node {short_id(target.id)}: {outcome}.", "Paid out")


class RetryPayout(Operation):
    core_action = "payout.retry"

    async def choose(self, app: LcnConsole, selected: str | None) -> Target | None:
        return await ask_id(app, "Retry payout", "The payout id (lcn payouts list).")

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        """Money moves: the question names the payout, its state, amount, node and tries."""
        try:
            payout = await records.get_payout(await app.poller.store(), target.id)
        except (RedisError, OSError, LcnError) as exc:
            app.notify(f"Cannot retry payout {target.id}: {one_line(exc)}",
                       title="Retry payout refused", severity="error")  # fmt: skip
            return None
        tries = f"{payout.attempts} attempt" + ("" if payout.attempts == 1 else "s")
        error = f"; last error: {payout.error}" if payout.error else ""
        return Confirmation(
            f"Retry payout {payout.payout_id} ({payout.status}): "
            f"{format_usd(payout.amount_micro_usd)} to node {short_id(payout.node_id)}?",
            f"{tries} so far{error}. It goes to the node's Stripe Connect account now.",
            "Retry payout",
        )

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        payout = await with_payments(
            app.settings,
            store,
            lambda s, payments: payments_actions.retry_payout(s, payments, app.operator, target.id),
        )
        return payout.status

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Payout {target.id} is {outcome}.", "Payout retried")


class Refund(Operation):
    core_action = "payment.refund"
    """All that is left of a purchase goes back to its buyer."""

    async def choose(self, app: LcnConsole, selected: str | None) -> Target | None:
        return await ask_id(app, "Refund", "The purchase id (lcn payments purchases).")

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        purchase_id = target.id
        try:
            purchase = await records.get_purchase(await app.poller.store(), purchase_id)
        except (RedisError, OSError, LcnError) as exc:
            app.notify(f"Cannot refund purchase {purchase_id}: {one_line(exc)}",
                       title="Refund refused", severity="error")  # fmt: skip
            return None
        left = purchase.amount_micro_usd - purchase.refunded_micro_usd
        return Confirmation(
            f"Refund purchase {purchase_id} ({purchase.status}): {format_usd(left)} to "
            f"{purchase.buyer}?",
            f"Paid {format_usd(purchase.amount_micro_usd)}, refunded "
            f"{format_usd(purchase.refunded_micro_usd)} so far; all that is left goes back.",
            "Refund",
        )

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        refund = await with_payments(
            app.settings,
            store,
            lambda s, payments: payments_actions.refund_purchase(
                s, payments, app.operator, target.id, "all"
            ),
        )
        return refund.status

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Refund of {target.id} is {outcome}.", "Refunded")


OPERATIONS: dict[str, Operation] = {
    "pay_out": PayOut(),
    "retry_payout": RetryPayout(),
    "refund": Refund(),
}
