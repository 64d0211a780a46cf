"""Request and response bodies of the gateway's own endpoints (camelCase on the wire). The
network's published bodies (RegisterNode, SubmitJob, Node, Job, SubmitResult) live in
core/models and are reused as they are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.jobs import Claim
from core.models.base import WireModel
from core.models.job import JobStatus, JobType, Task
from core.models.node import ADDRESS_RE, NAME_RE

NONCE_PATTERN = r"^[0-9a-f]{32}$"
SIGNATURE_PATTERN = r"^(0x)?[0-9a-fA-F]{130}$"
AGENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$"
TOKEN_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
MAX_LOG_LINES_IN = 5000
M = TypeVar("M", bound=BaseModel)


class StrictWire(WireModel):
    """A request body validated strictly: `0` is not `false`, `"5"` is not `5`."""

    model_config = ConfigDict(**WireModel.model_config, strict=True)


async def strictly(request: Request, model: type[M]) -> M:
    """Validate the raw body strictly (for the network's published bodies from core/models,
    whose config is lax): FastAPI has already checked its shape, this refuses coercions."""
    return model.model_validate_json(await request.body(), strict=True)


class AddressBody(StrictWire):
    pkp_address: str = Field(description="0x followed by 40 hex digits.")

    @field_validator("pkp_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not ADDRESS_RE.fullmatch(value):
            raise ValueError("pkpAddress must be 0x followed by 40 hex digits")
        return value


class SignIn(AddressBody):
    nonce: str = Field(pattern=NONCE_PATTERN, description="From the sign-in challenge.")
    signature: str = Field(
        pattern=SIGNATURE_PATTERN, description="EIP-191 signature of the challenge's message."
    )


class SignedOut(WireModel):
    signed_out: bool


class NodeStatusOut(WireModel):
    node_id: str
    status: str


class AgentRegistration(StrictWire):
    agent_id: str = Field(pattern=AGENT_ID_PATTERN)
    specialisations: list[JobType] = Field(min_length=1, max_length=3)
    models: list[str] = Field(default_factory=list, max_length=64)

    @field_validator("models")
    @classmethod
    def _model_names(cls, models: list[str]) -> list[str]:
        import re

        for model in models:
            if not re.fullmatch(NAME_RE, model):
                raise ValueError(f"model id {model!r} must be lowercase letters, digits, . _ -")
        return models


class AgentReport(StrictWire):
    state: Literal["idle", "working", "stopped"]
    current_job: str = Field(default="", max_length=128)
    outcome: Literal["", "done", "failed"] = ""


class AgentOut(WireModel):
    agent_id: str
    state: str


class ClaimRequest(StrictWire):
    agent_id: str = Field(pattern=AGENT_ID_PATTERN)
    job_types: list[JobType] = Field(min_length=1, max_length=3)
    lease_seconds: float = Field(gt=0, le=3600)


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

    @classmethod
    def of(cls, claim: Claim) -> ClaimedJob:
        return cls(
            job_id=claim.job_id,
            type=claim.type,
            task=claim.task,
            token=claim.token,
            lease_expires_at=claim.lease_expires_at,
            timeout_s=claim.timeout_s,
            cpu=claim.cpu,
            mem_mb=claim.mem_mb,
            attempts=claim.attempts,
            parent=claim.parent,
        )


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
        return cls(
            job_id=job_id,
            status=reply["status"],
            duplicate=bool(reply.get("duplicate")),
            actual_cost_micro_usd=reply.get("actual_cost"),
            node_share_micro_usd=reply.get("node_share"),
            platform_share_micro_usd=reply.get("platform_share"),
            parent=reply.get("parent"),
        )


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
