"""Node commands (d, u, o, O) on the selected node, through core.actions.node_action."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.actions.operation import Confirmation, Operation, Outcome, Target
from console.actions.records import node_state, read_record
from console.format import short_id
from core import actions
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store


class NodeAction(Operation):
    """One of core.actions.node_action's actions. `question` ({node}: its id and state) is
    asked when the registry marks the command destructive."""

    selects = "node"

    def __init__(self, action: str, title: str, question: str = "") -> None:
        self.action = action
        self.core_action = f"node.{action}"
        self.title = title
        self.question = question

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        node = await read_record(app, "node", target.id)
        if not isinstance(node, snap.NodeDetail):
            return None
        shown = f"{short_id(target.id)} ({node_state(node)})"
        return Confirmation(self.question.format(node=shown), yes=self.title)

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        return await actions.node_action(store, app.operator, self.action, target.id)

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Node {short_id(target.id)} is {outcome}.", self.title)


OPERATIONS: dict[str, Operation] = {
    "drain": NodeAction(
        "drain", "Drain", "Drain node {node}? It takes no new jobs; running ones finish."
    ),
    "undrain": NodeAction(
        "undrain", "Undrain", "Undrain node {node}? It takes new jobs again from now on."
    ),
    "offline": NodeAction(
        "offline",
        "Offline",
        "Take node {node} offline? Its jobs go back to the queue, and it stays offline"
        " until you bring it back online (O).",
    ),
    "online": NodeAction("online", "Online"),
}
