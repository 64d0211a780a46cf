"""Who may read a job, and what the others see: anyone gets its status, times and cost; its
task, input, result and logs are for its creator (an API key bound to the creator's address, or
a request the creator's key signed), operator API keys, and the node the job is assigned to
(the node that ran it)."""

from __future__ import annotations

from datetime import datetime

from core.gateway.deps import NodeSession, Reader, Submitter
from core.gateway.errors import Forbidden
from core.models.base import WireModel
from core.models.job import Job, JobStatus


class JobSummary(WireModel):
    """A job as anyone may see it: its state, times and cost."""

    job_id: str
    status: JobStatus
    created_at: datetime | None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    estimated_cost: float
    estimated_cost_micro_usd: int
    actual_cost: float | None = None
    actual_cost_micro_usd: int | None = None
    archived: bool = False

    @classmethod
    def of(cls, job: Job) -> JobSummary:
        return cls.model_validate(job.model_dump(include=set(cls.model_fields)))


def visible_part(reader: Reader, job: Job) -> Job | JobSummary:
    """The whole job for those who may read it, the summary for anonymous callers, and a
    refusal for credentials that belong to someone else."""
    if reader is None:
        return JobSummary.of(job)
    if isinstance(reader, Submitter) and reader.creator in (None, job.creator_pkp.lower()):
        return job
    if isinstance(reader, NodeSession) and reader.node_id == job.assigned_node_id:
        return job
    raise Forbidden(
        f"These credentials may not read job {job.job_id}; only its creator, an operator key "
        "or the node that ran it may."
    )
