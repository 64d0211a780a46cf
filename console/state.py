"""The console's view state: which pane, which window of each table, filters and sort orders.
`view_request` turns it into the one ViewRequest a poll reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from console.bell import TriageBell
from console.charts import DepthHistory
from console.glyphs import wants_ascii
from console.map_sweep import MapSweep
from console.ordered_sweep import MAX_KEEP, OrderedSweep
from console.poll_plan import Carry, PollPlan
from core.reads.snapshot import (
    JOB_STATUSES,
    JOB_TYPES,
    NODE_STATUSES,
    AgentWindow,
    JobWindow,
    NodeWindow,
    Page,
    ViewRequest,
)

PANES = ("nodes", "jobs", "earnings", "swarm", "triage")
DASHBOARD_PANES = ("nodes", "jobs", "earnings", "swarm")
REFRESH_STEPS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
ORDER_REFRESH_S = 5.0  # a column sort or a search is read again at most this often
TYPE_ALIASES = {"code": "code-execution", "model": "model-inference", "data": "data-processing"}


@dataclass(frozen=True)
class SortMode:
    """An order: the index's own (newest/oldest first, exact over the whole index), a column
    sorted on the server over all rows up to a bound (`column`: console.window_words labels
    how many it covered), or a column within the page (`page_key`, labelled "in page")."""

    label: str
    newest_first: bool = True
    page_key: Callable[[Any], Any] | None = None
    column: str | None = None


NODE_SORTS = (
    SortMode("newest first"),
    SortMode("oldest first", newest_first=False),
    SortMode("earnings ↓", column="earnings"),
    SortMode("load ↓", column="load"),
    SortMode("reputation ↓", column="reputation"),
    SortMode("running ↓", column="running"),
)
JOB_SORTS = (
    SortMode("newest first"),
    SortMode("oldest first", newest_first=False),
    SortMode("cost ↓", column="cost"),
    SortMode("attempts ↓", column="attempts"),
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
    text: str | None = None  # free text searched for (`/` then words that are not a filter)
    total: int = 0
    # When a column sort or a search was last read (time.monotonic), and for how many rows:
    # such a read examines thousands of entries inside one Lua script, so it is repeated every
    # ORDER_REFRESH_S, not every poll, unless the operator asks for another window.
    ordered_at: float | None = None
    ordered_limit: int = 0
    page: Page[Any] | None = None  # the window on screen: the last one read
    sweep: OrderedSweep | None = None  # a stale sorted window being read again, a slice a poll

    @property
    def ordered(self) -> bool:
        return self.sort.column is not None or bool(self.text)

    def order_is_fresh(self, now: float) -> bool:
        """Whether the last sorted or searched window may stay on screen for this poll."""
        return (
            self.ordered
            and self.ordered_at is not None
            and self.ordered_limit == self.limit
            and now - self.ordered_at < ORDER_REFRESH_S
        )

    def can_slice(self) -> bool:
        """Whether a stale sorted window may be read again in slices (console.ordered_sweep)
        while it stays on screen: it was read whole for this window size, and its rows are all
        in Redis (a node's history goes on into the archive, which is not sliced)."""
        return (
            OrderedSweep.enabled
            and self.ordered
            and self.ordered_at is not None
            and self.ordered_limit == self.limit
            and self.page is not None
            and self.offset + self.limit <= MAX_KEEP
            and self.node_id is None
        )

    def window_args(self, sliced: bool) -> dict[str, int]:
        """The window's offset and size, or, for a slice, the slice of the index to examine
        and as many of its best rows as the window needs."""
        if not sliced or self.sweep is None:
            return {"offset": self.offset, "limit": self.limit}
        return {
            "offset": 0,
            "limit": self.offset + self.limit,
            "scan_from": self.sweep.next_from,
            "search_budget": self.sweep.slice_budget(),
        }

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
        if self.text:
            parts.append(f'"{self.text}"')
        return " ".join(parts)

    @property
    def filter_text(self) -> str:
        """The filter as the operator would type it again (the prompt's starting value)."""
        parts = [
            f"state:{self.status}" if self.status else "",
            f"type:{self.job_type}" if self.job_type else "",
            f"node:{self.node_id}" if self.node_id else "",
            self.text or "",
        ]
        return " ".join(p for p in parts if p)

    def clear_filter(self) -> bool:
        had = bool(self.status or self.job_type or self.node_id or self.text)
        self.status = self.job_type = self.node_id = self.text = None
        self.offset = 0
        return had


TEXT_MAX = 100  # the longest free text a search takes (core.reads: JobWindow.text)


def parse_filter(text: str, *, jobs: bool) -> dict[str, str | None]:
    """`running`, `state:failed type:model node:<id>`, and free text → fields; raises
    ValueError with a sentence saying what was not understood. A word that is no state, no
    job type and no `name:value` is text to search for (id, creator, error, node; a node's id
    and region); `text:<word>` searches for a word that would otherwise be a filter."""
    found: dict[str, str | None] = {"status": None, "job_type": None, "node_id": None}
    words: list[str] = []
    states = JOB_STATUSES if jobs else NODE_STATUSES
    types = (*JOB_TYPES, *TYPE_ALIASES) if jobs else ()
    for token in text.split():
        name, sep, value = token.partition(":")
        if sep and name == "text":
            if value:
                words.append(value)
            continue
        if not sep:
            if token in states:
                name, value = "status", token
            elif token in types:
                name, value = "type", token
            else:
                words.append(token)
                continue
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
            raise ValueError(
                f"Cannot filter by {token!r} here; to search for it as text, write text:{token}."
            )
    found["text"] = " ".join(words) or None
    if len(found["text"] or "") > TEXT_MAX:
        raise ValueError(f"Search text is limited to {TEXT_MAX} characters.")
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
                    SortMode("earnings ↓", column="earnings"),
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
    # ASCII glyphs and map for a terminal without braille (console.glyphs.wants_ascii).
    ascii: bool = field(default_factory=wants_ascii)
    kept: frozenset[str] = frozenset()  # tables the last poll did not read (order_is_fresh)
    bell: TriageBell = field(default_factory=TriageBell)  # console.bell
    sliced: frozenset[str] = frozenset()  # tables the last poll read a slice of (can_slice)
    plan: PollPlan = field(default_factory=PollPlan)  # which heavy reads a poll carries

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
    keep: frozenset[str] = frozenset(),
    queue_age_s: int | None = None,  # LCN_ALERT_QUEUE_AGE; None: the core's default
    sliced: frozenset[str] = frozenset(),
    carry: Carry | None = None,
) -> ViewRequest:
    """Only the panes on screen are read (plus counts and triage, which the status line and
    the triage pane need), less the tables in `keep`, whose sorted or searched window is
    fresh enough to stay on screen as it is (TableView.order_is_fresh); the tables in `sliced`
    read the next slice of their sorted window instead of the window (console.ordered_sweep).
    `carry` leaves out the staggered reads this poll does not carry (console.poll_plan)."""
    carry = carry or Carry()
    tables = shown - keep
    nodes_view = state.tables["nodes"]
    jobs_view = state.tables["jobs"]
    earnings_view = state.tables["earnings"]
    agents_view = state.tables["swarm"]
    status = nodes_view.status if nodes_view.status in NODE_STATUSES else None
    map_window = None
    if carry.map and "nodes" in shown and map_grid and map_grid[0] > 0 and map_grid[1] > 0:
        map_window = state.map_sweep.request(map_grid[0], map_grid[1], map_chunk)
    return ViewRequest(
        nodes=NodeWindow(
            **nodes_view.window_args("nodes" in sliced),
            status=status,
            newest_first=nodes_view.sort.newest_first,
            sort=nodes_view.sort.column,
            text=nodes_view.text,
        )
        if "nodes" in tables
        else None,
        earnings=NodeWindow(
            **earnings_view.window_args("earnings" in sliced),
            newest_first=earnings_view.sort.newest_first,
            sort=earnings_view.sort.column,
        )
        if "earnings" in tables
        else None,
        jobs=JobWindow(
            **jobs_view.window_args("jobs" in sliced),
            status=jobs_view.status,
            job_type=jobs_view.job_type,
            node_id=jobs_view.node_id,
            newest_first=jobs_view.sort.newest_first,
            sort=jobs_view.sort.column,
            text=jobs_view.text,
        )
        if "jobs" in tables
        else None,
        map=map_window,
        agents=AgentWindow(offset=agents_view.offset, limit=agents_view.limit)
        if "swarm" in shown and carry.agents
        else None,
        triage=carry.triage,
        **({} if queue_age_s is None else {"queue_age_s": queue_age_s}),
        payments="earnings" in shown,
        payments_enabled=payments_enabled,
        job_detail=state.job_detail,
        node_detail=state.node_detail,
        now_ms=now_ms,
    )
