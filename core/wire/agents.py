"""A node's heartbeat and its agents: joining the swarm and reporting their state."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from core.models.base import WireModel
from core.models.job import JobType
from core.models.node import check_model_names
from core.wire.base import AGENT_ID_PATTERN, StrictWire


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
        return check_model_names(models)


class AgentReport(StrictWire):
    state: Literal["idle", "working", "stopped"]
    current_job: str = Field(default="", max_length=128)
    outcome: Literal["", "done", "failed"] = ""


class AgentOut(WireModel):
    agent_id: str
    state: str
