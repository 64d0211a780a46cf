"""Node registration input and the node record as the API shows it."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from core.models.base import JsonDecimal, WireModel

NodeStatus = Literal["active", "busy", "draining", "offline"]
NODE_STATUSES: tuple[NodeStatus, ...] = ("active", "busy", "draining", "offline")
KNOWN_RUNTIMES = ("python", "javascript")
JOB_TYPE_NAMES = ("code-execution", "model-inference", "data-processing")
ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
NAME_RE = r"^[a-z0-9][a-z0-9._-]{0,47}$"


def check_address(value: str) -> str:
    """A PKP address as every body that carries one must give it."""
    if not ADDRESS_RE.fullmatch(value):
        raise ValueError("pkpAddress must be 0x followed by 40 hex digits")
    return value


def check_model_names(models: list[str]) -> list[str]:
    """Model ids as nodes and agents declare them."""
    for model in models:
        if not re.fullmatch(NAME_RE, model):
            raise ValueError(f"model id {model!r} must be lowercase letters, digits, . _ -")
    return models


class Capabilities(WireModel):
    cpu: int = Field(ge=1, le=1024, description="CPU cores offered.")
    memory: JsonDecimal = Field(gt=0, le=65536, description="Memory offered, GB.")
    gpu: bool = False
    storage: JsonDecimal = Field(default=Decimal(0), ge=0, le=1_000_000, description="Disk, GB.")
    runtimes: list[str] = Field(default_factory=lambda: ["python"], max_length=8)
    models: list[str] = Field(default_factory=list, max_length=64)
    job_types: list[str] = Field(
        default_factory=lambda: list(JOB_TYPE_NAMES),
        description="Kinds of job the node's agents take; the default is all of them.",
    )
    network: bool = Field(
        default=False, description="Whether code jobs may ask for outbound network here."
    )
    sandbox: Literal["bubblewrap", "unavailable", "off"] = Field(
        default="bubblewrap",
        description="How the node isolates jobs; `off` means its operator turned it off.",
    )

    @field_validator("job_types")
    @classmethod
    def _known_job_types(cls, job_types: list[str]) -> list[str]:
        unknown = sorted(set(job_types) - set(JOB_TYPE_NAMES))
        if unknown or not job_types:
            raise ValueError(f"jobTypes must be among {', '.join(JOB_TYPE_NAMES)}")
        return sorted(set(job_types))

    @field_validator("runtimes")
    @classmethod
    def _known_runtimes(cls, runtimes: list[str]) -> list[str]:
        unknown = sorted(set(runtimes) - set(KNOWN_RUNTIMES))
        if unknown:
            raise ValueError(
                f"unknown runtime {unknown[0]!r}; known runtimes: {', '.join(KNOWN_RUNTIMES)}"
            )
        return sorted(set(runtimes))

    @field_validator("models")
    @classmethod
    def _model_names(cls, models: list[str]) -> list[str]:
        return sorted(set(check_model_names(models)))

    @property
    def memory_mb(self) -> int:
        return int(self.memory * 1024)


class Location(WireModel):
    region: str = Field(pattern=NAME_RE, description="Region name, e.g. us-east-1.")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Pricing(WireModel):
    """Prices in USD, as the network publishes them; stored as integer micro-USD."""

    cpu_per_second: JsonDecimal = Field(default=Decimal("0.001"), ge=0, le=100)
    memory_per_gb: JsonDecimal = Field(default=Decimal("0.05"), ge=0, le=100, alias="memoryPerGB")
    storage_per_gb: JsonDecimal = Field(default=Decimal("0.01"), ge=0, le=100, alias="storagePerGB")
    gpu_per_second: JsonDecimal = Field(default=Decimal("0.5"), ge=0, le=1000)


class RegisterNode(WireModel):
    """The published registration body plus the answer to the challenge."""

    pkp_address: str
    public_key: str
    capabilities: Capabilities
    location: Location
    pricing: Pricing = Field(default_factory=Pricing)
    nonce: str = Field(min_length=8, max_length=128)
    signature: str

    @field_validator("pkp_address")
    @classmethod
    def _address(cls, value: str) -> str:
        return check_address(value)


class NodeLoad(WireModel):
    cpu_used: int
    memory_used_mb: int
    running_jobs: int


class Node(WireModel):
    """A node as the API and CLI show it."""

    node_id: str
    pkp_address: str
    public_key: str
    capabilities: Capabilities
    location: Location
    pricing: Pricing
    status: NodeStatus
    reputation: int
    total_jobs_completed: int
    total_jobs_failed: int
    total_earnings: float = Field(description="USD earned, lifetime.")
    total_earnings_micro_usd: int
    load: NodeLoad
    registered_at: datetime | None
    last_seen: datetime | None
    stripe_account: str | None = None
