"""The job submission body (the network's published shape) and the job as the API shows it."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from core.models.base import JsonDecimal, WireModel
from core.models.node import ADDRESS_RE, NAME_RE

JobType = Literal["code-execution", "model-inference", "data-processing"]
JOB_TYPES: tuple[JobType, ...] = ("code-execution", "model-inference", "data-processing")
JobStatus = Literal["pending", "assigned", "running", "completed", "failed", "cancelled"]
JOB_STATUSES: tuple[JobStatus, ...] = (
    "pending",
    "assigned",
    "running",
    "completed",
    "failed",
    "cancelled",
)
DATA_OPERATIONS = ("word-count", "sort", "sum", "mean", "group-by", "sha256")
MAX_CODE_BYTES = 64 * 1024
MAX_INPUT_BYTES = 1024 * 1024
MAX_CEILING_USD = 1_000_000_000  # far below 2**53 micro-USD, so exact inside Lua


def _unset(value: object) -> bool:
    """A price cap that was not given stays out of the task's JSON (and so its job id)."""
    return value is None


class Requirements(WireModel):
    cpu: int = Field(default=1, ge=1, le=64)
    memory: JsonDecimal = Field(default=Decimal(1), gt=0, le=256, description="GB.")
    gpu: bool = False
    timeout: int = Field(default=30, ge=1, le=3600, description="Seconds.")
    network: bool = Field(
        default=False,
        description="Outbound network for a code job; placed only on nodes that allow it.",
    )
    # The creator's price ceiling: the job is only placed on nodes within it (absent: none).
    max_cost: JsonDecimal | None = Field(
        default=None,
        ge=0,
        le=MAX_CEILING_USD,
        exclude_if=_unset,
        description="USD: the most the job may be held for (node rate x timeout).",
    )
    max_cpu_per_second: JsonDecimal | None = Field(
        default=None, ge=0, le=1000, exclude_if=_unset, description="USD per CPU-second."
    )
    max_memory_per_gb: JsonDecimal | None = Field(
        default=None,
        ge=0,
        le=1000,
        alias="maxMemoryPerGB",
        exclude_if=_unset,
        description="USD per GB-second of memory.",
    )
    max_gpu_per_second: JsonDecimal | None = Field(
        default=None, ge=0, le=1000, exclude_if=_unset, description="USD per GPU-second."
    )

    @property
    def memory_mb(self) -> int:
        return max(1, int(self.memory * 1024))


class Task(WireModel):
    type: JobType
    code: str | None = None
    language: Literal["javascript", "python"] | None = None
    model_id: str | None = Field(default=None, pattern=NAME_RE)
    operation: str | None = None
    input: Any = None
    requirements: Requirements = Field(default_factory=Requirements)

    @field_validator("code")
    @classmethod
    def _code_size(cls, code: str | None) -> str | None:
        if code is not None and len(code.encode()) > MAX_CODE_BYTES:
            raise ValueError(f"code is larger than {MAX_CODE_BYTES // 1024} KiB")
        return code

    @field_validator("input")
    @classmethod
    def _input_size(cls, value: Any) -> Any:
        if len(json.dumps(value)) > MAX_INPUT_BYTES:
            raise ValueError(f"input is larger than {MAX_INPUT_BYTES // 1024} KiB of JSON")
        return value

    @model_validator(mode="after")
    def _fields_for_type(self) -> Task:
        if self.type == "code-execution":
            if not self.code or not self.code.strip():
                raise ValueError("a code-execution task needs code")
            if self.language is None:
                # The network's own example job is JavaScript without a language field.
                object.__setattr__(self, "language", "javascript")
        elif self.type == "model-inference" and not self.model_id:
            raise ValueError("a model-inference task needs modelId")
        elif self.type == "data-processing" and self.operation not in DATA_OPERATIONS:
            raise ValueError(
                f"a data-processing task needs operation, one of {', '.join(DATA_OPERATIONS)}"
            )
        return self

    @property
    def tag(self) -> str:
        """The scheduling index this task reads (see registry.sched_tags)."""
        if self.type == "code-execution":
            base = f"rt:{self.language}"
        elif self.type == "model-inference":
            base = f"model:{self.model_id}"
        else:
            base = "data"
        if self.type == "code-execution" and self.requirements.network:
            base += "+net"
        return base + ("+gpu" if self.requirements.gpu else "")


class SubmitJob(WireModel):
    creator_pkp: str = Field(alias="creatorPKP")
    task: Task
    parent: str | None = Field(default=None, exclude=True)

    @field_validator("creator_pkp")
    @classmethod
    def _address(cls, value: str) -> str:
        if not ADDRESS_RE.fullmatch(value):
            raise ValueError("creatorPKP must be 0x followed by 40 hex digits")
        return value.lower()


class Lease(WireModel):
    agent_id: str | None
    expires_at: datetime | None
    attempts: int
    max_attempts: int


class Job(WireModel):
    job_id: str
    creator_pkp: str = Field(alias="creatorPKP")
    assigned_node_id: str | None
    task: Task
    status: JobStatus
    created_at: datetime | None
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    result: Any = None
    result_cid: str | None = Field(default=None, alias="resultCID")
    logs: list[str] = Field(default_factory=list)
    error: str | None = None
    pending_reason: str | None = None
    estimated_cost: float
    estimated_cost_micro_usd: int
    actual_cost: float | None = None
    actual_cost_micro_usd: int | None = None
    paid: bool = False
    lease: Lease
    parent_job_id: str | None = None
    archived: bool = Field(
        default=False,
        description="True when the job has left the live store for the archive (finished "
        "long enough ago); it reads the same.",
    )


class SubmitResult(WireModel):
    job_id: str
    status: JobStatus
    assigned_node_id: str | None
    estimated_cost: float
    estimated_cost_micro_usd: int
    pending_reason: str | None = None
