"""The agent hash (`agent:<id>`): one worker on a node, as its heartbeats leave it."""

from __future__ import annotations

from pydantic import Field

from core.models.records.base import Record


class AgentRecord(Record):
    agent_id: str = Field(validation_alias="id")
    node_id: str = Field(validation_alias="node")
    specialisations: list[str]
    models: list[str]
    state: str = "stopped"
    current_job: str | None
    jobs_done: int
    jobs_failed: int
    last_heartbeat: int | None
    started_at: int | None
