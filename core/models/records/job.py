"""The job hash (`job:<id>`) as a typed record, and the job as the API shows it.

Money is integer micro-USD; times are Unix milliseconds, as the scripts write them."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from core.models.base import ms_to_datetime
from core.models.job import Job, Lease, Task
from core.models.records import fields as f
from core.models.records.base import Record
from core.money import micro_to_json, split

LEASED_STATES = ("assigned", "running")


class JobRecord(Record):
    job_id: str = Field(validation_alias="id")
    creator: str
    job_type: str = Field(validation_alias="type")
    tag: str
    status: str
    node_id: str | None = Field(validation_alias="node")
    agent_id: str | None = Field(validation_alias="agent")
    parent: str | None
    task: str | None  # the task as submitted (JSON); `task_body` reads it
    cpu: int | None
    mem_mb: int | None
    gpu: bool
    timeout_s: int | None
    attempts: int
    max_attempts: int
    gen: int
    estimated_cost: int
    held: int | None  # what escrow holds for the job now (absent: never held)
    rate: int | None  # micro-USD per second at its node, set when it was placed
    actual_cost: int | None
    node_share: int | None
    platform_share: int | None
    duration_ms: int | None
    result: str | None  # JSON, kept inline when small
    result_cid: str | None
    logs: list[str]
    error: str | None
    pending_reason: str | None
    lease_token: str | None
    lease_expires_at: int | None
    created_at: int | None
    updated_at: int | None
    assigned_at: int | None
    started_at: int | None
    finished_at: int | None

    @property
    def task_body(self) -> dict[str, Any] | None:
        """The submitted task as a dict; None when it is not kept or not readable."""
        try:
            value = json.loads(self.task or "null")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def shares(self) -> tuple[int, int] | None:
        """(node, platform) parts of the actual cost: as settlement booked them, or, for a
        record settled before they were kept, the same 70/30 split. None until billed."""
        if self.actual_cost is None:
            return None
        if self.node_share is None or self.platform_share is None:
            return split(self.actual_cost)
        return self.node_share, self.platform_share

    @property
    def paid(self) -> bool:
        """Settled: completed, or failed in its own code and billed for the time it ran."""
        return self.status in ("completed", "failed") and self.actual_cost is not None

    def lease_left(self, now: int) -> int | None:
        """Milliseconds until the lease expires (negative: expired, awaiting the sweep); None
        when there is no lease (only an assigned or running job with a token holds one)."""
        if not (self.lease_token and self.status in LEASED_STATES and self.lease_expires_at):
            return None
        return self.lease_expires_at - now

    def to_job(self) -> Job:
        """The job as the API and CLI show it."""
        actual = self.actual_cost
        return Job(
            job_id=self.job_id,
            creator_pkp=self.creator,
            assigned_node_id=self.node_id,
            task=Task.model_validate_json(self.task or ""),
            status=self.status,  # validated by the model
            created_at=ms_to_datetime(self.created_at),
            assigned_at=ms_to_datetime(self.assigned_at),
            started_at=ms_to_datetime(self.started_at),
            completed_at=ms_to_datetime(self.finished_at),
            result=json.loads(self.result) if self.result else None,
            result_cid=self.result_cid,
            logs=self.logs,
            error=self.error,
            pending_reason=self.pending_reason,
            estimated_cost=micro_to_json(self.estimated_cost),
            estimated_cost_micro_usd=self.estimated_cost,
            actual_cost=micro_to_json(actual) if actual is not None else None,
            actual_cost_micro_usd=actual,
            paid=self.paid,
            lease=Lease(
                agent_id=self.agent_id,
                expires_at=ms_to_datetime(self.lease_expires_at),
                attempts=self.attempts,
                max_attempts=self.max_attempts,
            ),
            parent_job_id=self.parent,
        )


def job_from_hash(raw: f.RawHash) -> Job:
    """A job hash as the API shows it."""
    return JobRecord.from_hash(raw).to_job()
