"""What operators do. Every action goes through here so that it is validated, carried out by
one script, and audited with the operator's name and the outcome (refusals included).

The caller is an `Operator`: a local operator's name (admin-equivalent, as the CLI and a local
console always were) or an SSH key's `Actor`, whose role is checked here against the action's
(core.access.roles.NEEDS) before any work: this is the lock, the console's refusal a courtesy."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from core import events, jobs, ledger, registry
from core.access import keys as access_keys
from core.access.roles import Actor, audit_name, refusal
from core.access.roles import Operator as Operator  # re-exported: what actions take
from core.errors import InvalidInput, LcnError
from core.store import Store

T = TypeVar("T")
NODE_ACTIONS = ("drain", "undrain", "offline", "online")


def who(operator: Operator | None = None) -> Operator:
    """The operator for the audit log: given (a name or a key's actor), else user@host."""
    if operator:
        return operator
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


async def permitted(store: Store, operator: Operator, action: str, target: str) -> None:
    """Refuse (audited) an SSH key whose role, as granted now, is below what `action` needs."""
    if not isinstance(operator, Actor):
        return
    problem: LcnError | None
    try:
        problem = refusal(operator, await access_keys.role_now(store, operator), action)
    except LcnError as exc:
        problem = exc  # revoked
    if problem is not None:
        await events.audit(
            store,
            operator=operator.audit_name,
            action=action,
            target=target,
            outcome="refused",
            detail=str(problem),
        )
        raise problem


async def audited(
    store: Store, operator: Operator, action: str, target: str, work: Callable[[], Awaitable[T]]
) -> T:
    """Run `work` if the operator may, and record the outcome; a refusal is recorded and raised
    again."""
    await permitted(store, operator, action, target)
    name = audit_name(operator)
    try:
        result = await work()
    except LcnError as exc:
        await events.audit(
            store,
            operator=name,
            action=action,
            target=target,
            outcome="refused",
            detail=str(exc),
        )
        raise
    await events.audit(
        store, operator=name, action=action, target=target, outcome="ok", detail=str(result)
    )
    return result


async def node_action(store: Store, operator: Operator, action: str, node_id: str) -> str:
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
            store, node_id, action, held_by=audit_name(operator) if action == "offline" else None
        ),
    )


async def reassign_job(store: Store, operator: Operator, job_id: str, to_node: str | None) -> str:
    """Move a job to `to_node`, or to the best node other than its current one."""
    return await audited(
        store, operator, "job.reassign", job_id, lambda: jobs.reassign(store, job_id, to_node)
    )


async def cancel_job(store: Store, operator: Operator, job_id: str) -> str:
    return await audited(
        store,
        operator,
        "job.cancel",
        job_id,
        lambda: jobs.cancel(store, job_id, f"Cancelled by {audit_name(operator)}."),
    )


async def retry_job(store: Store, operator: Operator, job_id: str) -> str:
    return await audited(store, operator, "job.retry", job_id, lambda: jobs.retry(store, job_id))


async def reverse_posting(
    store: Store, operator: Operator, posting_id: str, reason: str = ""
) -> ledger.Reversal:
    """Reverse a ledger posting the books check cannot prove (a forged one), so the books are
    proven again and payouts resume; a proven posting is refused."""
    target = f"{posting_id} ({reason})" if reason else posting_id
    return await audited(
        store, operator, "ledger.reverse", target, lambda: ledger.reverse(store, posting_id)
    )


async def grant_key(store: Store, operator: Operator, name: str, key_file: str, role: str) -> str:
    """Grant the public key in `key_file` the console role `role` under `name` (admin only)."""

    async def work() -> str:
        key = access_keys.read_key_file(Path(key_file))
        granted = await access_keys.add(store, name, key, role)
        return f"{granted.role} {granted.fingerprint}"

    return await audited(store, operator, "access.add", name, work)


async def revoke_key(store: Store, operator: Operator, name: str) -> str:
    """Revoke the SSH key `name`; its open sessions end within seconds (admin only)."""
    return await audited(
        store, operator, "access.revoke", name, lambda: access_keys.revoke(store, name)
    )
