"""The swarm's roster: which agents exist, on which node, doing what. Agents write it with
their heartbeats; the console and the orchestrator read it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from core.models.base import WireModel, ms_to_datetime
from core.store import Store, calls
from core.store.reads import hashes, zpage

AgentState = Literal["idle", "working", "stalled", "stopped"]


class AgentInfo(WireModel):
    agent_id: str
    node_id: str
    specialisations: list[str]
    models: list[str]
    state: AgentState
    current_job: str | None
    jobs_done: int
    jobs_failed: int
    last_heartbeat: datetime | None
    started_at: datetime | None


def agent_key(store: Store, agent_id: str) -> str:
    return store.keys.agent(agent_id)


async def register(
    store: Store, agent_id: str, node_id: str, specialisations: list[str], models: list[str]
) -> None:
    await calls.agent_register(store, agent_id, node_id, specialisations, models)


async def report(
    store: Store, agent_id: str, state: str, current_job: str = "", outcome: str = ""
) -> None:
    await calls.agent_report(store, agent_id, state, current_job, outcome)


async def sweep_stalled(store: Store, grace_s: float, limit: int = 500) -> int:
    return await calls.sweep_agents(store, int(grace_s * 1000), limit)


def agent_from_hash(raw: dict[bytes, bytes]) -> AgentInfo:
    h = {k.decode(): v.decode() for k, v in raw.items()}
    return AgentInfo(
        agent_id=h["id"],
        node_id=h["node"],
        specialisations=json.loads(h["specialisations"]),
        models=json.loads(h.get("models") or "[]"),
        state=h["state"],
        current_job=h.get("current_job") or None,
        jobs_done=int(h.get("jobs_done", 0)),
        jobs_failed=int(h.get("jobs_failed", 0)),
        last_heartbeat=ms_to_datetime(int(h["last_heartbeat"])),
        started_at=ms_to_datetime(int(h["started_at"])),
    )


async def list_agents(store: Store, offset: int = 0, limit: int = 200) -> list[AgentInfo]:
    ids, _ = await zpage(store, store.keys.agents_all, offset, limit, newest_first=False)
    rows = await hashes(store, [agent_key(store, agent_id) for agent_id in ids])
    return [agent_from_hash(r) for r in rows if r]
