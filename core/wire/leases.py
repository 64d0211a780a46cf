"""Claims and the reports a lease fences: a claimed job (the one claim type: `core.jobs` makes
it, the gateway sends it, `HttpLink` reads it back), lease extensions, a running job's log
lines, completions, failures and hand-backs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from core.models.base import WireModel
from core.models.job import JobStatus, JobType, Task
from core.wire.base import (
    AGENT_ID_PATTERN,
    MAX_LOG_BATCH_IN,
    MAX_LOG_LINE_IN,
    MAX_LOG_LINES_IN,
    TOKEN_PATTERN,
    StrictWire,
)


class ClaimedJob(WireModel):
    """A claimed job and its lease: present `token` with every report about it."""

    job_id: str
    type: JobType
    task: Task
    token: str
    lease_expires_at: int = Field(description="Unix time, ms.")
    timeout_s: int
    cpu: int
    mem_mb: int
    attempts: int
    parent: str


class ClaimRequest(StrictWire):
    agent_id: str = Field(pattern=AGENT_ID_PATTERN)
    job_types: list[JobType] = Field(min_length=1, max_length=3)
    lease_seconds: float = Field(gt=0, le=3600)


class ClaimOut(WireModel):
    claim: ClaimedJob | None = Field(description="null when no job is waiting for these types.")


class LeaseExtension(StrictWire):
    token: str = Field(pattern=TOKEN_PATTERN)
    lease_seconds: float = Field(gt=0, le=3600)


class LeaseOut(WireModel):
    job_id: str
    lease_expires_at: int = Field(description="Unix time, ms.")


class Completion(StrictWire):
    token: str = Field(pattern=TOKEN_PATTERN)
    duration_ms: int = Field(ge=0, le=86_400_000)
    output: Any = None
    logs: list[str] = Field(default_factory=list, max_length=MAX_LOG_LINES_IN)


class LogLines(StrictWire):
    """A running job's newest output lines, sent while it runs so an operator can follow them;
    fenced by the lease like every report (a node that lost the lease is refused)."""

    token: str = Field(pattern=TOKEN_PATTERN)
    lines: list[Annotated[str, Field(max_length=MAX_LOG_LINE_IN)]] = Field(
        min_length=1, max_length=MAX_LOG_BATCH_IN
    )


class LogLinesOut(WireModel):
    job_id: str
    kept: int = Field(description="How many lines the job keeps now: its newest, up to 200.")


# The settlement's amounts: (name in `core.jobs.complete`'s reply, field here).
_SETTLEMENT_FIELDS = (
    ("actual_cost", "actual_cost_micro_usd"),
    ("node_share", "node_share_micro_usd"),
    ("platform_share", "platform_share_micro_usd"),
    ("parent", "parent"),
)


class CompletionOut(WireModel):
    job_id: str
    status: JobStatus
    duplicate: bool = Field(description="True when this completion was already recorded.")
    actual_cost_micro_usd: int | None = None
    node_share_micro_usd: int | None = None
    platform_share_micro_usd: int | None = None
    parent: str | None = None

    @classmethod
    def of(cls, job_id: str, reply: Mapping[str, Any]) -> CompletionOut:
        """The body for `core.jobs.complete`'s reply."""
        amounts = {field: reply.get(name) for name, field in _SETTLEMENT_FIELDS}
        return cls(
            job_id=job_id, status=reply["status"], duplicate=bool(reply.get("duplicate")), **amounts
        )

    def as_reply(self) -> dict[str, Any]:
        """Back to the dict `core.jobs.complete` returns (micro-USD amounts), as a node's link
        over HTTP must answer exactly what a link over Redis does."""
        reply: dict[str, Any] = {"status": self.status, "duplicate": self.duplicate}
        for name, field in _SETTLEMENT_FIELDS:
            value = getattr(self, field)
            if value is not None:
                reply[name] = value
        return reply


class Failure(StrictWire):
    token: str = Field(pattern=TOKEN_PATTERN)
    error: str = Field(min_length=1, max_length=4000)
    logs: list[str] = Field(default_factory=list, max_length=MAX_LOG_LINES_IN)
    retryable: bool = False
    duration_ms: int | None = Field(
        default=None,
        ge=0,
        le=86_400_000,
        description="How long the job ran. A failure of its own code (not retryable) is billed "
        "for it like a completion; without it, for the time the lease was held.",
    )


class HandBack(StrictWire):
    token: str = Field(pattern=TOKEN_PATTERN)
    reason: str = Field(default="The node is shutting down.", min_length=1, max_length=1000)


class FailureOut(WireModel):
    job_id: str
    status: JobStatus
