"""Bulk operator actions: retry or cancel every job that matches a filter.

A bulk action is the per-job action repeated. Each matching job goes through the same audited
core action as one job would (core.actions.retry_job / cancel_job: one script call each), so
every job gets ONE audit entry of its own, one job's refusal (it changed state, its creator
cannot afford the retry) does not stop the others, and the outcome counts both.

Two passes, each in bounded batches. First the matching ids are collected from the state index
(or the node's history), reading a few fields per job. Then they are acted on. Collecting first
matters because acting moves a job out of the index being walked (a retried job leaves
`jobs:status:failed`), so walking and acting at once would skip jobs. Just before a batch is
acted on its states are read again, and a job that has left the filter's state since it was
counted is refused (and audited so), never acted on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator
from redis.exceptions import NoPermissionError, RedisError

from core import actions
from core.access.roles import Operator
from core.errors import Conflict, InvalidInput, LcnError
from core.ids import check_cid
from core.models.job import JobStatus, JobType
from core.models.node import ADDRESS_RE
from core.money import format_usd
from core.store import Store

Action = Literal["retry", "cancel"]
# The states each bulk action applies to (the scripts refuse the others anyway).
STATES: dict[Action, tuple[str, ...]] = {
    "retry": ("failed", "cancelled"),
    "cancel": ("pending", "assigned", "running"),
}
PAST: dict[Action, str] = {"retry": "retried", "cancel": "cancelled"}
BATCH = 500  # ids read from the index, and job states read again, per round trip
MAX_JOBS = 10_000  # acted on in one run (a tenth of the audit stream): more is another run
MAX_SCAN = 200_000  # index entries walked to find them
FIELDS = ("status", "type", "creator", "node", "held")


class JobFilter(BaseModel):
    """Which jobs a bulk action applies to: one state, and optionally one type, node, creator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: JobStatus
    job_type: JobType | None = None
    node_id: str | None = None
    creator: str | None = None

    @field_validator("node_id")
    @classmethod
    def _node(cls, value: str | None) -> str | None:
        return None if value is None else check_cid(value, what="node id")

    @field_validator("creator")
    @classmethod
    def _creator(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not ADDRESS_RE.fullmatch(value):
            raise ValueError("the creator must be 0x followed by 40 hex digits")
        return value.lower()  # submissions store it in lower case

    def matches(self, job: dict[str, str]) -> bool:
        return (
            job.get("status") == self.status
            and (self.job_type is None or job.get("type") == self.job_type)
            and (self.node_id is None or job.get("node") == self.node_id)
            and (self.creator is None or job.get("creator") == self.creator)
        )

    def label(self) -> str:
        """`failed code-execution jobs on node …abcdefgh of creator 0x…`, for sentences."""
        words: list[str] = [self.status]
        if self.job_type:
            words.append(self.job_type)
        words.append("jobs")
        if self.node_id:
            words.append(f"on node …{self.node_id[-8:]}")
        if self.creator:
            words.append(f"of creator {self.creator}")
        return " ".join(words)


@dataclass(frozen=True)
class Matched:
    """The jobs a filter matches now, oldest first, at most `limit` of them."""

    ids: list[str]
    held: int  # what their holds come to, micro-USD
    scanned: int  # index entries walked
    more: bool  # more match than were taken, or the walk stopped at MAX_SCAN

    @property
    def count(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class BulkOutcome:
    action: Action
    filter: JobFilter
    matched: int
    done: int
    refused: int
    first_refusal: str | None
    released: int  # micro-USD of holds released by the jobs done (cancel)
    more: bool  # jobs beyond this run's bound may match: run again for them
    stopped: str | None = None  # why the run stopped early (Redis went away)

    def sentence(self) -> str:
        """`12 retried, 2 refused (first: …).`: what an operator reads after the action."""
        text = f"{self.done} of {self.matched} {self.filter.label()} {PAST[self.action]}"
        if self.action == "cancel" and self.released:
            text += f", {format_usd(self.released)} of holds released"
        if self.refused:
            text += f"; {self.refused} refused (first: {self.first_refusal})"
        if self.stopped:
            text += f"; stopped early: {self.stopped}"
        elif self.more:
            text += "; more may match: run it again for the rest"
        return text.rstrip(".") + "."

    def wire(self) -> dict[str, Any]:
        """The CLI's `--json` body (camelCase, as the API's)."""
        return {
            "action": self.action,
            "filter": {
                "status": self.filter.status,
                "type": self.filter.job_type,
                "nodeId": self.filter.node_id,
                "creator": self.filter.creator,
            },
            "matched": self.matched,
            "done": self.done,
            "refused": self.refused,
            "firstRefusal": self.first_refusal,
            "releasedMicroUsd": self.released,
            "more": self.more,
            "stopped": self.stopped,
        }


def check_action(action: Action, flt: JobFilter) -> None:
    """Refuse a filter whose state the action cannot apply to, in one sentence."""
    if flt.status not in STATES[action]:
        raise InvalidInput(
            f"{action.capitalize()} applies to {' or '.join(STATES[action])} jobs, "
            f"not {flt.status} ones."
        )


def _decoded(reply: list[Any]) -> dict[str, str]:
    return {
        name: value.decode() if isinstance(value, bytes) else value
        for name, value in zip(FIELDS, reply, strict=True)
        if value is not None
    }


async def _fields(store: Store, job_ids: list[str]) -> list[dict[str, str]]:
    """FIELDS of each job, in one round trip (a job that is gone comes back empty)."""
    async with store.redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hmget(store.keys.job(job_id), list(FIELDS))
        replies: list[list[Any]] = await pipe.execute()
    return [_decoded(reply) for reply in replies]


async def find(store: Store, flt: JobFilter, *, limit: int = MAX_JOBS) -> Matched:
    """The jobs `flt` matches now, oldest first: walks the state index (or the node's history)
    BATCH entries a round trip, at most MAX_SCAN entries, and keeps at most `limit`."""
    if not 1 <= limit <= MAX_JOBS:
        raise InvalidInput(f"A bulk action takes between 1 and {MAX_JOBS:,} jobs at a time.")
    keys = store.keys
    index = keys.node_history(flt.node_id) if flt.node_id else keys.jobs_with_status(flt.status)
    ids: list[str] = []
    held = scanned = 0
    while scanned < MAX_SCAN:
        members = await store.redis.zrange(index, scanned, scanned + BATCH - 1)
        if not members:
            return Matched(ids, held, scanned, more=False)
        scanned += len(members)
        batch = [m.decode() if isinstance(m, bytes) else str(m) for m in members]
        for job_id, job in zip(batch, await _fields(store, batch), strict=True):
            if not flt.matches(job):
                continue
            if len(ids) == limit:
                return Matched(ids, held, scanned, more=True)
            ids.append(job_id)
            held += int(job.get("held") or 0)
    return Matched(ids, held, scanned, more=await store.redis.zcard(index) > scanned)


async def retry_all(
    store: Store, operator: Operator, flt: JobFilter, *, limit: int = MAX_JOBS
) -> BulkOutcome:
    """Run every failed (or cancelled) job `flt` matches again, each audited as `job.retry`."""
    return await _bulk(store, operator, "retry", flt, limit)


async def cancel_all(
    store: Store, operator: Operator, flt: JobFilter, *, limit: int = MAX_JOBS
) -> BulkOutcome:
    """Cancel every unfinished job `flt` matches, each audited as `job.cancel`; their holds are
    released."""
    return await _bulk(store, operator, "cancel", flt, limit)


def _per_job(action: Action) -> Callable[[Store, Operator, str], Awaitable[str]]:
    return actions.retry_job if action == "retry" else actions.cancel_job


async def _bulk(
    store: Store, operator: Operator, action: Action, flt: JobFilter, limit: int
) -> BulkOutcome:
    check_action(action, flt)
    # A key below the role is refused once, for the whole run, before anything is read.
    await actions.permitted(store, operator, f"job.{action}", f"bulk: {flt.label()}")
    matched = await find(store, flt, limit=limit)
    act = _per_job(action)
    done = refused = released = 0
    first: str | None = None
    stopped: str | None = None
    for start in range(0, matched.count, BATCH):
        batch = matched.ids[start : start + BATCH]
        try:
            now = await _fields(store, batch)
            for job_id, job in zip(batch, now, strict=True):
                try:
                    if flt.matches(job):
                        await act(store, operator, job_id)
                        released += int(job.get("held") or 0)
                    else:
                        await actions.audited(
                            store, operator, f"job.{action}", job_id, _changed(job, flt)
                        )
                    done += 1
                except LcnError as exc:
                    refused += 1
                    first = first or str(exc)
        except (RedisError, OSError) as exc:
            if not done + refused or isinstance(exc, NoPermissionError):
                raise  # nothing was done: the caller reports it as any failed action
            stopped = f"Redis failed after {done + refused} jobs ({exc})"
            break
    return BulkOutcome(
        action, flt, matched.count, done, refused, first, released, matched.more, stopped
    )


def _changed(job: dict[str, str], flt: JobFilter) -> Callable[[], Awaitable[str]]:
    """The refusal of a job that no longer matches (audited like any refusal)."""

    async def refuse() -> str:
        state = job.get("status")
        if state is None:
            raise Conflict("The job no longer exists.")
        if state != flt.status:
            raise Conflict(f"The job is {state} now, no longer {flt.status}.")
        raise Conflict("The job has moved off the filter's node since it was counted.")

    return refuse
