"""The agent hash (`agent:<id>`): one worker on a node, as its heartbeats leave it."""

from __future__ import annotations

from typing import Self

from core.models.records import fields as f
from core.models.records.base import Record


class AgentRecord(Record):
    agent_id: str
    node_id: str
    specialisations: list[str]
    models: list[str]
    state: str
    current_job: str | None
    jobs_done: int
    jobs_failed: int
    last_heartbeat: int | None
    started_at: int | None

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls(
            agent_id=f.text(h.get("id")) or "",
            node_id=f.text(h.get("node")) or "",
            specialisations=f.json_list(h.get("specialisations")),
            models=f.json_list(h.get("models")),
            state=f.text(h.get("state")) or "stopped",
            current_job=f.opt_text(h.get("current_job")),
            jobs_done=f.int_or(h.get("jobs_done")),
            jobs_failed=f.int_or(h.get("jobs_failed")),
            last_heartbeat=f.opt_int(h.get("last_heartbeat")),
            started_at=f.opt_int(h.get("started_at")),
        )
