"""What operators do. Every action goes through here so that it is validated, carried out by
one script, and audited with the operator's name and the outcome (refusals included)."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core import events, jobs, ledger, registry
from core.errors import InvalidInput, LcnError
from core.store import Store

T = TypeVar("T")
NODE_ACTIONS = ("drain", "undrain", "offline", "online")


def who(operator: str | None = None) -> str:
    """The operator's name for the audit log: given, else user@host."""
    if operator:
        return operator
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


async def audited(
    store: Store, operator: str, action: str, target: str, work: Callable[[], Awaitable[T]]
) -> T:
    """Run `work` and record the outcome; a refusal is recorded and raised again."""
    try:
        result = await work()
    except LcnError as exc:
        await events.audit(
            store,
            operator=operator,
            action=action,
            target=target,
            outcome="refused",
            detail=str(exc),
        )
        raise
    await events.audit(
        store, operator=operator, action=action, target=target, outcome="ok", detail=str(result)
    )
    return result


async def node_action(store: Store, operator: str, action: str, node_id: str) -> str:
    """An operator's offline is held in their name: the node's heartbeats do not undo it, only
    `online` does."""
    if action not in NODE_ACTIONS:
        raise InvalidInput(f"Unknown node action {action!r}; use one of {', '.join(NODE_ACTIONS)}.")
    return await audited(
        store,
        operator,
        f"node.{action}",
        node_id,
        lambda: registry.change_status(
            store, node_id, action, held_by=operator if action == "offline" else None
        ),
    )


async def reassign_job(store: Store, operator: str, job_id: str, to_node: str | None) -> str:
    """Move a job to `to_node`, or to the best node other than its current one."""
    return await audited(
        store, operator, "job.reassign", job_id, lambda: jobs.reassign(store, job_id, to_node)
    )


async def cancel_job(store: Store, operator: str, job_id: str) -> str:
    return await audited(
        store,
        operator,
        "job.cancel",
        job_id,
        lambda: jobs.cancel(store, job_id, f"Cancelled by {operator}."),
    )


async def retry_job(store: Store, operator: str, job_id: str) -> str:
    return await audited(store, operator, "job.retry", job_id, lambda: jobs.retry(store, job_id))


async def reverse_posting(
    store: Store, operator: str, posting_id: str, reason: str = ""
) -> ledger.Reversal:
    """Reverse a ledger posting the books check cannot prove (a forged one), so the books are
    proven again and payouts resume; a proven posting is refused."""
    target = f"{posting_id} ({reason})" if reason else posting_id
    return await audited(
        store, operator, "ledger.reverse", target, lambda: ledger.reverse(store, posting_id)
    )
