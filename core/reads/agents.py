"""The swarm pane: one window of agents with each one's recent series, and agents counted by
group and state within a budget (snapshot_agents.lua)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core.reads.batch import Read, Replies, script
from core.reads.fields import integer, listed, opt_int, script_reply, string_list, text
from core.reads.model import Model, Page
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


def agent_row(h: dict[str, Any], series: list[Any]) -> AgentRow:
    return AgentRow(
        agent_id=text(h.get("id")) or "",
        node_id=text(h.get("node")) or "",
        specialisations=string_list(h.get("specialisations")),
        state=text(h.get("state")) or "stopped",
        current_job=text(h.get("current_job")) or None,
        jobs_done=integer(h.get("jobs_done")),
        jobs_failed=integer(h.get("jobs_failed")),
        last_heartbeat=opt_int(h.get("last_heartbeat")),
        started_at=opt_int(h.get("started_at")),
        series=[integer(v) for v in series] if isinstance(series, list) else [],
    )


def agents_read(store: Store, window: AgentWindow, now_ms: int) -> Read[AgentsView]:
    first_bucket = now_ms // STATS_BUCKET_MS - window.buckets + 1
    commands = {
        "window": script(
            store,
            "snapshot_agents",
            [store.keys.prefix + "agents:all"],
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
                idle=integer(g.get("idle")),
                working=integer(g.get("working")),
                stalled=integer(g.get("stalled")),
                stopped=integer(g.get("stopped")),
            )
            for name, g in sorted(groups_raw.items() if isinstance(groups_raw, dict) else [])
        ]
        return AgentsView(
            page=Page[AgentRow](
                rows=agent_rows, total=integer(reply.get("total")), offset=window.offset
            ),
            groups=groups,
            counted=integer(reply.get("counted")),
        )

    return Read("agents", commands, decode)
