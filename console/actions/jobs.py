"""Job commands (r, c, t) on the selected job, through core.actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from console.actions.operation import Confirmation, Operation, Outcome, Target
from console.actions.records import job_state, read_record
from console.format import short_id, usd
from console.poller import one_line
from console.screens.reassign import ReassignScreen
from core import actions
from core.errors import LcnError
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store


class Reassign(Operation):
    """Move the job to a node the operator chooses among those that can run it, or the best."""

    selects = "job"
    core_action = "job.reassign"

    async def choose(self, app: LcnConsole, selected: str | None) -> Target | None:
        if not selected:
            return None
        try:
            capable = await snap.capable_nodes(await app.poller.store(), selected)
        except (RedisError, OSError, LcnError) as exc:
            app.notify(f"Cannot list nodes: {one_line(exc)}", severity="error")
            return None
        if not capable.found:
            app.notify(f"No job {short_id(selected)} in this pool.", severity="warning")
            return None
        node = await app.push_screen_wait(ReassignScreen(selected, capable))
        return None if node is None else Target(selected, node)

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        return await actions.reassign_job(store, app.operator, target.id, target.choice or None)

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Job {short_id(target.id)} moved to node {short_id(outcome)}.",
                       "Reassigned")  # fmt: skip


class Cancel(Operation):
    selects = "job"
    core_action = "job.cancel"

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        job = await read_record(app, "job", target.id)
        if not isinstance(job, snap.JobDetail):
            return None
        return Confirmation(
            f"Cancel job {short_id(target.id)}, now {job_state(job)}?",
            f"Its hold of {usd(job.job.held)} is released and its agent's result will be refused.",
            "Cancel job",
        )

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        return await actions.cancel_job(store, app.operator, target.id)

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Job {short_id(target.id)} is {outcome}.", "Cancelled")


class Retry(Operation):
    selects = "job"
    core_action = "job.retry"

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        return await actions.retry_job(store, app.operator, target.id)

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(f"Job {short_id(target.id)} is {outcome} again.", "Retried")


OPERATIONS: dict[str, Operation] = {"reassign": Reassign(), "cancel": Cancel(), "retry": Retry()}
