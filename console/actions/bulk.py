"""Bulk job commands on the jobs pane's filter: `T` retries every failed job it matches, `C`
cancels every pending job it matches (of one creator, or all). Through the dispatcher like any
writing command; core.bulk does the work, one audited per-job action at a time.

The count is taken when the target is completed (before the confirmation, which names it with
the holds it frees); the action then takes at most that many jobs, so a confirmed "12" never
becomes 5,000 because more failed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import ValidationError
from redis.exceptions import RedisError

from console import selection
from console.actions.operation import Confirmation, Operation, Outcome, Target
from console.actions.records import read_record
from console.format import usd
from console.poller import one_line
from console.screens.detail import DetailScreen
from console.screens.prompt import PromptScreen
from core import bulk
from core.errors import LcnError
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store


@dataclass(frozen=True)
class BulkTarget(Target):
    """The filter, and what it matched when counted."""

    filter: bulk.JobFilter | None = None
    count: int = 0
    held: int = 0
    more: bool = False


class BulkJobs(Operation):
    action: ClassVar[bulk.Action]
    default_state: ClassVar[str]

    def job_filter(self, app: LcnConsole, creator: str | None) -> bulk.JobFilter | None:
        """The jobs pane's filter for this action (its state, else the default state); None
        after saying why it does not fit."""
        view = app.state.tables["jobs"]
        if view.text:
            # core.bulk matches state, type, node and creator, not the search's free text:
            # acting now would touch jobs the table does not show.
            app.notify(
                f"{self.action.capitalize()} all does not take a text search; clear "
                f"{view.text!r} from the jobs filter (/) first.",
                severity="warning",
            )
            return None
        status = view.status or self.default_state
        states = bulk.STATES[self.action]
        if status not in states:
            app.notify(
                f"{self.action.capitalize()} all applies to {' or '.join(states)} jobs; the "
                f"jobs filter shows {status} ones (/ changes it).",
                severity="warning",
            )
            return None
        try:
            return bulk.JobFilter.model_validate(
                {
                    "status": status,
                    "job_type": view.job_type,
                    "node_id": view.node_id,
                    "creator": creator,
                }
            )
        except ValidationError as exc:
            problem = "; ".join(str(e.get("msg", "")).removeprefix("Value error, ")
                                for e in exc.errors())  # fmt: skip
            app.notify(f"Not a filter bulk actions take: {problem}.", severity="warning")
            return None
        except LcnError as exc:  # a node id that is not one
            app.notify(str(exc), severity="warning")
            return None

    async def ask_creator(self, app: LcnConsole) -> str | None:
        """No creator by default; `C` asks for one."""
        return ""

    async def choose(self, app: LcnConsole, selected: str | None) -> Target | None:
        if app.state.pane != "jobs" or isinstance(app.screen, DetailScreen):
            app.notify("Bulk actions work on the jobs pane (2) and its filter.", timeout=4)
            return None
        creator = await self.ask_creator(app)
        if creator is None:
            return None
        flt = self.job_filter(app, creator or None)
        if flt is None:
            return None
        try:
            matched = await bulk.find(await app.poller.store(), flt)
        except (RedisError, OSError, LcnError) as exc:
            app.notify(f"Cannot count the jobs: {one_line(exc)}", severity="error")
            return None
        if not matched.count:
            app.notify(f"No {flt.label()} in pool {app.settings.pool}; nothing to do.")
            return None
        return BulkTarget(flt.label(), filter=flt, count=matched.count, held=matched.held,
                          more=matched.more)  # fmt: skip

    def counted(self, target: BulkTarget) -> str:
        assert target.filter is not None
        noun = target.filter.label()
        if target.count == 1:
            noun = noun.replace(" jobs", " job", 1)
        return f"{target.count:,} {noun}"

    async def run(self, app: LcnConsole, store: Store, target: Target) -> str:
        assert isinstance(target, BulkTarget) and target.filter is not None
        act = bulk.retry_all if self.action == "retry" else bulk.cancel_all
        if target.count > 200:  # one script call each: thousands take seconds
            app.notify(f"{self.action.capitalize()} of {target.count:,} jobs started; the "
                       "outcome follows when all are done.", timeout=4)  # fmt: skip
        outcome = await act(store, app.operator, target.filter, limit=target.count)
        return outcome.sentence()


class RetryAll(BulkJobs):
    core_action = "job.retry"
    action = "retry"
    default_state = "failed"

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        assert isinstance(target, BulkTarget)
        more = " More match: only these, oldest first." if target.more else ""
        return Confirmation(
            f"Retry all {self.counted(target)}?",
            "Each runs again from its first attempt with a fresh hold, and is audited on its "
            f"own; one refused does not stop the others.{more}",
            f"Retry {target.count:,}",
        )

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(outcome, "Retried all")


class CancelAll(BulkJobs):
    core_action = "job.cancel"
    action = "cancel"
    default_state = "pending"

    async def ask_creator(self, app: LcnConsole) -> str | None:
        """The creator whose jobs to cancel, offered from the selected job; empty: every
        creator the filter matches."""
        offered = ""
        key = selection.table_key(app, "jobs")
        if key:
            job = await read_record(app, "job", key)
            offered = job.job.creator if isinstance(job, snap.JobDetail) else ""
        return await app.push_screen_wait(
            PromptScreen(
                "Cancel all: of which creator?",
                "A creator's address (0x…), or empty for every creator the jobs filter "
                "matches. The next step shows the count and asks.",
                value=offered,
                placeholder="0x… or empty",
            )
        )

    async def confirmation(self, app: LcnConsole, target: Target) -> Confirmation | None:
        assert isinstance(target, BulkTarget)
        more = " More match: only these, oldest first." if target.more else ""
        return Confirmation(
            f"Cancel all {self.counted(target)}?",
            f"Their holds, {usd(target.held)} in all, are released and their agents' results "
            f"will be refused; each is audited on its own.{more}",
            f"Cancel {target.count:,}",
        )

    def done(self, target: Target, outcome: str) -> Outcome:
        return Outcome(outcome, "Cancelled all")


OPERATIONS: dict[str, Operation] = {"retry_all": RetryAll(), "cancel_all": CancelAll()}
