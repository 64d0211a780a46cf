"""The console's view state: which pane, which window of each table, filters and sort orders.
`view_request` turns it into the one ViewRequest a poll reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.charts import DepthHistory
from console.map_sweep import MapSweep
from core.reads.snapshot import (
    JOB_STATUSES,
    JOB_TYPES,
    NODE_STATUSES,
    AgentWindow,
    JobWindow,
    NodeWindow,
    ViewRequest,
)

PANES = ("nodes", "jobs", "earnings", "swarm", "triage")
DASHBOARD_PANES = ("nodes", "jobs", "earnings", "swarm")
REFRESH_STEPS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
TYPE_ALIASES = {"code": "code-execution", "model": "model-inference", "data": "data-processing"}


@dataclass(frozen=True)
class SortMode:
    """An order: the index's own (newest/oldest first, exact over the whole index), or a
    column within the page the index gives (labelled so, as it is not a global order)."""

    label: str
    newest_first: bool = True
    page_key: Callable[[Any], Any] | None = None


NODE_SORTS = (
    SortMode("newest first"),
    SortMode("oldest first", newest_first=False),
    SortMode("earnings ↓ in page", page_key=lambda r: r.earnings),
    SortMode("load ↓ in page", page_key=lambda r: r.load),
    SortMode("reputation ↓ in page", page_key=lambda r: r.reputation),
)
JOB_SORTS = (
    SortMode("newest first"),
    SortMode("oldest first", newest_first=False),
    SortMode("cost ↓ in page", page_key=lambda r: r.actual_cost or r.estimated_cost),
    SortMode("attempts ↓ in page", page_key=lambda r: r.attempts),
)


@dataclass
class TableView:
    sorts: tuple[SortMode, ...]
    offset: int = 0
    limit: int = 20
    sort_index: int = 0
    status: str | None = None
    job_type: str | None = None
    node_id: str | None = None
    total: int = 0

    @property
    def sort(self) -> SortMode:
        return self.sorts[self.sort_index % len(self.sorts)]

    @property
    def sort_label(self) -> str:
        return self.sort.label

    @property
    def page_sort(self) -> Callable[[Any], Any] | None:
        return self.sort.page_key

    @property
    def filter_label(self) -> str:
        parts = []
        if self.status:
            parts.append(f"state:{self.status}")
        if self.job_type:
            parts.append(f"type:{self.job_type}")
        if self.node_id:
            parts.append(f"node:…{self.node_id[-8:]}")
        return " ".join(parts)

    def clear_filter(self) -> bool:
        had = bool(self.status or self.job_type or self.node_id)
        self.status = self.job_type = self.node_id = None
        self.offset = 0
        return had


def parse_filter(text: str, *, jobs: bool) -> dict[str, str | None]:
    """`running`, `state:failed type:model node:<id>` → fields; raises ValueError with a
    sentence saying what was not understood."""
    found: dict[str, str | None] = {"status": None, "job_type": None, "node_id": None}
    states = JOB_STATUSES if jobs else NODE_STATUSES
    for token in text.split():
        name, sep, value = token.partition(":")
        if not sep:
            name, value = ("status", token) if token in states else ("type", token)
        name = {"state": "status", "status": "status", "type": "job_type", "node": "node_id"}.get(
            name, name
        )
        if name == "status":
            if value not in states:
                raise ValueError(f"Unknown state {value!r}; use one of {', '.join(states)}.")
            found["status"] = value
        elif name == "job_type" and jobs:
            value = TYPE_ALIASES.get(value, value)
            if value not in JOB_TYPES:
                raise ValueError(
                    f"Unknown job type {value!r}; use code, model or data (or the full name)."
                )
            found["job_type"] = value
        elif name == "node_id" and jobs:
            if not value.startswith("b") or len(value) < 20:
                raise ValueError("node: needs a full node id (a CID starting with b).")
            found["node_id"] = value
        else:
            raise ValueError(f"Cannot filter by {token!r} here.")
    return found


@dataclass
class ConsoleState:
    pane: str = "nodes"
    maximised: bool = False
    paused: bool = False
    refresh: float = 1.0
    tables: dict[str, TableView] = field(
        default_factory=lambda: {
            "nodes": TableView(NODE_SORTS),
            "jobs": TableView(JOB_SORTS),
            "earnings": TableView(
                (
                    SortMode("earnings ↓ in page", page_key=lambda r: r.earnings),
                    SortMode("newest first"),
                    SortMode("oldest first", newest_first=False),
                )
            ),
            "swarm": TableView((SortMode("oldest first", newest_first=False),)),
            "triage": TableView((SortMode("most severe first"),)),
        }
    )
    map_sweep: MapSweep = field(default_factory=MapSweep)
    queue_depth: DepthHistory = field(default_factory=DepthHistory)  # the queue-depth chart
    job_detail: str | None = None
    node_detail: str | None = None

    def faster(self) -> float:
        smaller = [s for s in REFRESH_STEPS if s < self.refresh]
        self.refresh = smaller[-1] if smaller else self.refresh
        return self.refresh

    def slower(self) -> float:
        larger = [s for s in REFRESH_STEPS if s > self.refresh]
        self.refresh = larger[0] if larger else self.refresh
        return self.refresh


def view_request(
    state: ConsoleState,
    *,
    shown: set[str],
    map_grid: tuple[int, int] | None,
    now_ms: int | None,
    map_chunk: int = 500,
    payments_enabled: bool = False,
) -> ViewRequest:
    """Only the panes on screen are read (plus counts and triage, which the status line and
    the triage pane need)."""
    nodes_view = state.tables["nodes"]
    jobs_view = state.tables["jobs"]
    earnings_view = state.tables["earnings"]
    agents_view = state.tables["swarm"]
    status = nodes_view.status if nodes_view.status in NODE_STATUSES else None
    map_window = None
    if "nodes" in shown and map_grid and map_grid[0] > 0 and map_grid[1] > 0:
        map_window = state.map_sweep.request(map_grid[0], map_grid[1], map_chunk)
    return ViewRequest(
        nodes=NodeWindow(
            offset=nodes_view.offset,
            limit=nodes_view.limit,
            status=status,
            newest_first=nodes_view.sort.newest_first,
        )
        if "nodes" in shown
        else None,
        earnings=NodeWindow(
            offset=earnings_view.offset,
            limit=earnings_view.limit,
            newest_first=earnings_view.sort.newest_first,
        )
        if "earnings" in shown
        else None,
        jobs=JobWindow(
            offset=jobs_view.offset,
            limit=jobs_view.limit,
            status=jobs_view.status,
            job_type=jobs_view.job_type,
            node_id=jobs_view.node_id,
            newest_first=jobs_view.sort.newest_first,
        )
        if "jobs" in shown
        else None,
        map=map_window,
        agents=AgentWindow(offset=agents_view.offset, limit=agents_view.limit)
        if "swarm" in shown
        else None,
        triage=True,
        payments="earnings" in shown,
        payments_enabled=payments_enabled,
        job_detail=state.job_detail,
        node_detail=state.node_detail,
        now_ms=now_ms,
    )
