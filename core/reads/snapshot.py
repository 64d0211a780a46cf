"""What the console reads: one `poll` gives everything its panes show, in one pipelined round
trip, however large the pool.

Every pane asks for a window (offset, limit, filter) and only that window is read: a plain
command for counts, totals and time series, and one read-only Lua script per table
(store/lua/snapshot_*.lua) that picks the window's ids from an index and reads their hashes on
the server, since a pipeline cannot feed its own replies back into later commands. Each script
bounds its own work (a window, a scan budget, a map chunk), so the number of commands a poll
costs does not grow with the number of nodes or jobs. Each pane's read lives in its own module
of this package; `poll` only picks the reads the view asks for and batches them.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from core.config import DEFAULT_QUEUE_AGE_S
from core.models.job import JOB_STATUSES, JOB_TYPES
from core.models.node import NODE_STATUSES
from core.payments.summary import summary_read
from core.reads.agents import AgentGroup, AgentRow, AgentsView, AgentWindow, agents_read
from core.reads.archived import archived_detail, with_archived
from core.reads.batch import ReadBatch
from core.reads.capable import Capable, CapableNode, capable_nodes
from core.reads.counts import Counts, counts_read
from core.reads.detail import JobDetail, NodeDetail, job_detail_read, node_detail_read
from core.reads.jobs import JobRow, JobWindow, jobs_read
from core.reads.map import MAP_BOTTOM, MAP_TOP, MapChunk, MapWindow, map_read
from core.reads.memory import memory_read
from core.reads.model import Model, Page
from core.reads.money import Money, Series, money_read, series_read
from core.reads.nodes import NodeRow, NodeWindow, nodes_read
from core.reads.triage import (
    SEVERITY_ORDER,
    Triage,
    TriageItem,
    triage_read,
    with_memory,
)
from core.store import Store


class ViewRequest(Model):
    """One poll's worth of reading: each pane's window, or None when the pane is not shown."""

    nodes: NodeWindow | None = None
    earnings: NodeWindow | None = None
    jobs: JobWindow | None = None
    map: MapWindow | None = None
    agents: AgentWindow | None = None
    triage: bool = True
    series_buckets: int = Field(default=60, ge=1, le=720)
    job_detail: str | None = None
    node_detail: str | None = None
    now_ms: int | None = Field(default=None, description="The clock to use; None: this host's.")
    payments: bool = Field(
        default=False, description="Also read the payments summary (earnings pane)."
    )
    payments_enabled: bool = False
    triage_limit: int = Field(default=20, ge=1, le=200)
    triage_budget: int = Field(default=200, ge=1, le=10_000)
    queue_age_s: int = Field(
        default=DEFAULT_QUEUE_AGE_S,
        ge=0,
        le=30 * 86_400,
        description="A pending job waiting longer than this is a triage item (0: never).",
    )


class Snapshot(Model):
    """Everything one poll read, with when (`now_ms`) and what it cost."""

    now_ms: int
    counts: Counts
    money: Money
    series: Series
    nodes: Page[NodeRow] | None = None
    earnings: Page[NodeRow] | None = None
    jobs: Page[JobRow] | None = None
    map: MapChunk | None = None
    agents: AgentsView | None = None
    triage: Triage | None = None
    job_detail: JobDetail | None = None
    node_detail: NodeDetail | None = None
    detail_missing: str | None = Field(
        default=None, description="The id asked for in detail that does not exist."
    )
    commands: int = Field(description="Commands sent in this poll's one round trip.")
    payouts: dict[str, Any] | None = Field(
        default=None, description="Payout state, once payments are configured (issue 7)."
    )


async def poll(store: Store, view: ViewRequest) -> Snapshot:
    """Read one snapshot for `view` in one pipelined round trip."""
    now = view.now_ms if view.now_ms is not None else int(time.time() * 1000)
    batch = ReadBatch(store)
    counts = batch.add(counts_read(store))
    money = batch.add(money_read(store))
    series = batch.add(series_read(store, now, view.series_buckets))
    nodes = batch.add(nodes_read(store, "nodes", view.nodes)) if view.nodes else None
    earnings = batch.add(nodes_read(store, "earnings", view.earnings)) if view.earnings else None
    jobs = batch.add(jobs_read(store, view.jobs)) if view.jobs else None
    map_chunk = batch.add(map_read(store, view.map)) if view.map else None
    agents = batch.add(agents_read(store, view.agents, now)) if view.agents else None
    triage = (
        batch.add(triage_read(store, now, view.triage_limit, view.triage_budget, view.queue_age_s))
        if view.triage
        else None
    )
    memory = memory_read(store) if view.triage else None
    if memory is not None:
        batch.add(memory)
    job_detail = batch.add(job_detail_read(store, view.job_detail)) if view.job_detail else None
    node_detail = batch.add(node_detail_read(store, view.node_detail)) if view.node_detail else None
    payments = (
        batch.add(summary_read(store, payments_enabled=view.payments_enabled, hours=24, now_ms=now))
        if view.payments
        else None
    )

    found = await batch.run()

    job_page = found.get(jobs)
    if job_page is not None and view.jobs is not None:
        job_page = await with_archived(store, view.jobs, job_page)
    job_found = found.get(job_detail)
    missing = None
    if view.job_detail and job_found is None:
        job_found = await archived_detail(store, view.job_detail)
    if view.job_detail and job_found is None:
        missing = view.job_detail
    if view.node_detail and found.get(node_detail) is None:
        missing = view.node_detail
    summary = found.get(payments)
    return Snapshot(
        now_ms=now,
        payouts=summary.model_dump(mode="json") if summary is not None else None,
        counts=found[counts],
        money=found[money],
        series=found[series],
        nodes=found.get(nodes),
        earnings=found.get(earnings),
        jobs=job_page,
        map=found.get(map_chunk),
        agents=found.get(agents),
        triage=(with_memory(found[triage], found.get(memory)) if triage is not None else None),
        job_detail=job_found,
        node_detail=found.get(node_detail),
        detail_missing=missing,
        commands=batch.commands,
    )


__all__ = [
    "JOB_STATUSES",
    "JOB_TYPES",
    "MAP_BOTTOM",
    "MAP_TOP",
    "NODE_STATUSES",
    "SEVERITY_ORDER",
    "AgentGroup",
    "AgentRow",
    "AgentWindow",
    "AgentsView",
    "Capable",
    "CapableNode",
    "Counts",
    "JobDetail",
    "JobRow",
    "JobWindow",
    "MapChunk",
    "MapWindow",
    "Money",
    "NodeDetail",
    "NodeRow",
    "NodeWindow",
    "Page",
    "Series",
    "Snapshot",
    "Triage",
    "TriageItem",
    "ViewRequest",
    "capable_nodes",
    "poll",
]
