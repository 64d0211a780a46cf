"""The swarm pane: one window of agents with each one's recent series, and agents counted by
group and state within a budget (snapshot_agents.lua)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core.models.records.agent import AgentRecord
from core.models.records.fields import RawHash, int_or
from core.reads.batch import Read, Replies, script
from core.reads.model import Model, Page
from core.reads.replies import listed, script_reply
from core.store import Store
from core.store.series import STATS_BUCKET_MS


class AgentWindow(Model):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=30, ge=1, le=500)
    summary_budget: int = Field(default=500, ge=1, le=50_000)
    buckets: int = Field(default=12, ge=1, le=720, description="Per-agent series length.")


class AgentRow(Model):
    agent_id: str
    node_id: str
    specialisations: list[str]
    state: str
    current_job: str | None
    jobs_done: int
    jobs_failed: int
    last_heartbeat: int | None
    started_at: int | None
    series: list[int] = Field(description="Jobs completed per bucket, oldest first.")


class AgentGroup(Model):
    name: str
    idle: int = 0
    working: int = 0
    stalled: int = 0
    stopped: int = 0

    @property
    def total(self) -> int:
        return self.idle + self.working + self.stalled + self.stopped


class AgentsView(Model):
    page: Page[AgentRow]
    groups: list[AgentGroup]
    counted: int


def agent_row(h: RawHash, series: list[Any]) -> AgentRow:
    """A row of the table from the agent's record and its series."""
    record = AgentRecord.from_hash(h)
    return AgentRow(
        **record.model_dump(include=set(AgentRow.model_fields)),
        series=[int_or(v) for v in series] if isinstance(series, list) else [],
    )


def agents_read(store: Store, window: AgentWindow, now_ms: int) -> Read[AgentsView]:
    first_bucket = now_ms // STATS_BUCKET_MS - window.buckets + 1
    commands = {
        "window": script(
            store,
            "snapshot_agents",
            [store.keys.agents_all],
            window.offset,
            window.limit,
            first_bucket,
            window.buckets,
            window.summary_budget,
        )
    }

    def decode(r: Replies) -> AgentsView:
        reply = script_reply(r["window"])
        fields = reply.get("fields") or []
        # Each row is the agent's HMGET fields followed by its series.
        agent_rows = [
            agent_row(dict(zip(fields, row[: len(fields)], strict=False)), row[len(fields)])
            for row in listed(reply, "rows")
            if len(row) > len(fields)
        ]
        groups_raw = reply.get("groups") or {}
        groups = [
            AgentGroup(
                name=name,
                idle=int_or(g.get("idle")),
                working=int_or(g.get("working")),
                stalled=int_or(g.get("stalled")),
                stopped=int_or(g.get("stopped")),
            )
            for name, g in sorted(groups_raw.items() if isinstance(groups_raw, dict) else [])
        ]
        return AgentsView(
            page=Page[AgentRow](
                rows=agent_rows, total=int_or(reply.get("total")), offset=window.offset
            ),
            groups=groups,
            counted=int_or(reply.get("counted")),
        )

    return Read("agents", commands, decode)
