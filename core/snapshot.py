"""What the console reads: one `poll` gives everything its panes show, in one pipelined round
trip, however large the pool.

Every pane asks for a window (offset, limit, filter) and only that window is read: a plain
command for counts, totals and time series, and one read-only Lua script per table
(store/lua/snapshot_*.lua) that picks the window's ids from an index and reads their hashes on
the server, since a pipeline cannot feed its own replies back into later commands. Each script
bounds its own work (a window, a scan budget, a map chunk), so the number of commands a poll
costs does not grow with the number of nodes or jobs.
"""

from __future__ import annotations

import json
import time
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import NoScriptError, ResponseError

from core.models.job import JOB_STATUSES, JOB_TYPES
from core.models.node import NODE_STATUSES
from core.models.records.job import JobRecord
from core.models.records.node import NodeRecord
from core.payments.summary import summary_commands, summary_from
from core.store import Store
from core.store import scripts as lua
from core.store.series import STATS_BUCKET_MS

MAP_TOP, MAP_BOTTOM = 84.0, -58.0  # the map's latitude range: no Antarctica, little Arctic
SCRIPTS = (
    "snapshot_nodes",
    "snapshot_jobs",
    "snapshot_map",
    "snapshot_agents",
    "snapshot_triage",
    "snapshot_capable",
)


RowT = TypeVar("RowT")


class Model(BaseModel):
    """Snapshot models are plain data for the console: snake_case, frozen, no wire aliases."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# ── what the console asks for ────────────────────────────────────────────────────────────────


class NodeWindow(Model):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=500)
    status: Literal["active", "busy", "draining", "offline"] | None = None
    newest_first: bool = True


class JobWindow(Model):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=500)
    status: Literal["pending", "assigned", "running", "completed", "failed", "cancelled"] | None = (
        None
    )
    job_type: Literal["code-execution", "model-inference", "data-processing"] | None = None
    node_id: str | None = None
    newest_first: bool = True
    scan_budget: int = Field(default=5_000, ge=1, le=100_000)


class MapWindow(Model):
    """The map's grid in cells, and where in the fleet this poll's chunk starts."""

    width: int = Field(ge=1, le=1_000)
    height: int = Field(ge=1, le=500)
    cursor: int = Field(default=0, ge=0)
    chunk: int = Field(default=500, ge=1, le=50_000)


class AgentWindow(Model):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=30, ge=1, le=500)
    summary_budget: int = Field(default=500, ge=1, le=50_000)
    buckets: int = Field(default=12, ge=1, le=720, description="Per-agent series length.")


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


# ── what it gets back ───────────────────────────────────────────────────────────────────────


class NodeRow(Model):
    node_id: str
    region: str
    status: str
    cpu: int
    cpu_used: int
    memory_mb: int
    mem_used: int
    running: int
    reputation: int
    jobs_completed: int
    jobs_failed: int
    earnings: int = Field(description="Lifetime earnings, micro-USD.")
    last_seen: int | None
    lat: float | None
    lon: float | None
    gpu: bool
    registered_at: int | None

    @property
    def load(self) -> float:
        """The larger of cpu and memory use, 0–1: what "busy" is decided by."""
        cpu = self.cpu_used / self.cpu if self.cpu else 0.0
        mem = self.mem_used / self.memory_mb if self.memory_mb else 0.0
        return min(1.0, max(cpu, mem))


class JobRow(Model):
    job_id: str
    job_type: str
    status: str
    node_id: str | None
    agent_id: str | None
    created_at: int | None
    updated_at: int | None
    started_at: int | None
    finished_at: int | None
    attempts: int
    max_attempts: int
    estimated_cost: int
    actual_cost: int | None
    tag: str
    error: str | None
    pending_reason: str | None
    timeout_s: int | None


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


class Page(Model, Generic[RowT]):
    rows: list[RowT]
    total: int
    offset: int
    exact: bool = Field(default=True, description="False when a filter scan hit its budget.")
    scanned: int = 0


class MapChunk(Model):
    """Counts per map cell ([active, busy, draining, offline]) for one chunk of the fleet."""

    width: int
    height: int
    total: int
    cursor: int
    next_cursor: int
    read: int
    cells: dict[int, tuple[int, int, int, int]]


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


Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class TriageItem(Model):
    severity: Severity
    kind: Literal[
        "ledger",
        "stripe_key",
        "overdue",
        "offline_holding",
        "stalled_agent",
        "unrunnable",
        "failed",
    ]
    target: str = Field(description="The job, node, agent or tag the item is about.")
    target_kind: Literal["job", "node", "agent", "tag", "ledger", "payments"]
    summary: str
    since_ms: int | None = None


class Triage(Model):
    items: list[TriageItem]
    overdue_count: int
    failed_count: int


class Counts(Model):
    nodes: int
    jobs: int
    nodes_by_status: dict[str, int]
    jobs_by_status: dict[str, int]
    agents: int
    agents_live: int
    leases: int


class Money(Model):
    """Running totals the job scripts keep (micro-USD), and the ledger's own accounts."""

    gross: int
    node_earnings: int
    platform_revenue: int
    platform_balance: int
    escrow_balance: int


class Series(Model):
    """Per-bucket values, oldest first, ending at the bucket that holds `now`."""

    bucket_ms: int
    last_bucket: int
    completed: list[int]
    failed: list[int]
    revenue: list[int]


class JobDetail(Model):
    job_id: str
    fields: dict[str, str]
    history: list[str]

    @property
    def job(self) -> JobRecord:
        """The job's hash decoded: what screens read, never `fields`."""
        return JobRecord.from_hash(self.fields)

    @property
    def task(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.fields.get("task") or "null")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def logs(self) -> list[str]:
        try:
            value = json.loads(self.fields.get("logs") or "[]")
        except ValueError:
            return []
        return [str(v) for v in value] if isinstance(value, list) else []


class NodeDetail(Model):
    node_id: str
    fields: dict[str, str]
    jobs: list[str]

    @property
    def node(self) -> NodeRecord:
        """The node's hash decoded: what screens read, never `fields`."""
        return NodeRecord.from_hash(self.fields)


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


class CapableNode(Model):
    node_id: str
    region: str
    status: str
    cpu: int
    cpu_used: int
    reputation: int
    rate: int
    fits: bool


class Capable(Model):
    found: bool
    tag: str = ""
    current: str | None = None
    status: str = ""
    capable: int = 0
    nodes: list[CapableNode] = Field(default_factory=list)


# ── reading ─────────────────────────────────────────────────────────────────────────────────


def _text(value: Any) -> str | None:
    if value is None or value is False:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return str(value)


def _int(value: Any, default: int = 0) -> int:
    parsed = _opt_int(value)
    return default if parsed is None else parsed


def _opt_int(value: Any) -> int | None:
    parsed = _opt_float(value)
    return None if parsed is None else int(parsed)


def _opt_float(value: Any) -> float | None:
    text = _text(value)
    if text in (None, ""):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _rows(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Script rows are HMGET arrays in the order of the reply's `fields` (cjson turns an empty
    table into {} rather than [])."""
    fields = reply.get("fields") or []
    rows = reply.get("rows") or []
    if isinstance(rows, dict):
        rows = []
    return [dict(zip(fields, row, strict=False)) for row in rows]


def node_row(h: dict[str, Any]) -> NodeRow:
    return NodeRow(
        node_id=_text(h.get("id")) or "",
        region=_text(h.get("region")) or "",
        status=_text(h.get("status")) or "offline",
        cpu=_int(h.get("cpu")),
        cpu_used=_int(h.get("cpu_used")),
        memory_mb=_int(h.get("memory_mb")),
        mem_used=_int(h.get("mem_used")),
        running=_int(h.get("running")),
        reputation=_int(h.get("reputation")),
        jobs_completed=_int(h.get("jobs_completed")),
        jobs_failed=_int(h.get("jobs_failed")),
        earnings=_int(h.get("earnings")),
        last_seen=_opt_int(h.get("last_seen")),
        lat=_opt_float(h.get("lat")),
        lon=_opt_float(h.get("lon")),
        gpu=_text(h.get("gpu")) == "1",
        registered_at=_opt_int(h.get("registered_at")),
    )


def job_row(h: dict[str, Any]) -> JobRow:
    return JobRow(
        job_id=_text(h.get("id")) or "",
        job_type=_text(h.get("type")) or "",
        status=_text(h.get("status")) or "",
        node_id=_text(h.get("node")) or None,
        agent_id=_text(h.get("agent")) or None,
        created_at=_opt_int(h.get("created_at")),
        updated_at=_opt_int(h.get("updated_at")),
        started_at=_opt_int(h.get("started_at")),
        finished_at=_opt_int(h.get("finished_at")),
        attempts=_int(h.get("attempts")),
        max_attempts=_int(h.get("max_attempts")),
        estimated_cost=_int(h.get("estimated_cost")),
        actual_cost=_opt_int(h.get("actual_cost")),
        tag=_text(h.get("tag")) or "",
        error=_text(h.get("error")) or None,
        pending_reason=_text(h.get("pending_reason")) or None,
        timeout_s=_opt_int(h.get("timeout_s")),
    )


def agent_row(h: dict[str, Any], series: list[Any]) -> AgentRow:
    try:
        specs = json.loads(_text(h.get("specialisations")) or "[]")
    except ValueError:
        specs = []
    return AgentRow(
        agent_id=_text(h.get("id")) or "",
        node_id=_text(h.get("node")) or "",
        specialisations=[str(s) for s in specs] if isinstance(specs, list) else [],
        state=_text(h.get("state")) or "stopped",
        current_job=_text(h.get("current_job")) or None,
        jobs_done=_int(h.get("jobs_done")),
        jobs_failed=_int(h.get("jobs_failed")),
        last_heartbeat=_opt_int(h.get("last_heartbeat")),
        started_at=_opt_int(h.get("started_at")),
        series=[_int(v) for v in series] if isinstance(series, list) else [],
    )


def _decode_hash(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    return {_text(k) or "": _text(v) or "" for k, v in raw.items()}


class _Plan:
    """The commands of one poll, each with the function that turns its reply into data."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.commands: list[tuple[tuple[Any, ...], str | None]] = []

    def call(self, *command: Any) -> int:
        self.commands.append((command, None))
        return len(self.commands) - 1

    def script(self, name: str, keys: list[str], *args: Any) -> int:
        command = ("EVALSHA", lua.sha_of(name), len(keys), *keys, self.store.keys.prefix, *args)
        self.commands.append((command, name))
        return len(self.commands) - 1

    async def run(self) -> list[Any]:
        """Send every command in one pipeline. After a Redis restart the scripts are gone
        (NOSCRIPT): load them and send the pipeline once more."""
        for attempt in (1, 2):
            async with self.store.redis.pipeline(transaction=False) as pipe:
                for command, _ in self.commands:
                    pipe.execute_command(*command)
                replies: list[Any] = await pipe.execute(raise_on_error=False)
            missing = {
                name
                for (_, name), reply in zip(self.commands, replies, strict=True)
                if isinstance(reply, NoScriptError)
                or (isinstance(reply, ResponseError) and "NOSCRIPT" in str(reply))
            }
            if not missing or attempt == 2:
                break
            for name in sorted(n for n in missing if n):
                await self.store.redis.script_load(lua.script_source(name))
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies


def _script_reply(reply: Any) -> dict[str, Any]:
    value = lua.decode_reply(reply)
    return value if isinstance(value, dict) else {}


async def poll(store: Store, view: ViewRequest) -> Snapshot:
    """Read one snapshot for `view` in one pipelined round trip."""
    now = view.now_ms if view.now_ms is not None else int(time.time() * 1000)
    keys = store.keys
    plan = _Plan(store)

    i_nodes_all = plan.call("ZCARD", keys.nodes_all)
    i_jobs_all = plan.call("ZCARD", keys.jobs_all)
    i_node_status = [plan.call("ZCARD", keys.nodes_with_status(s)) for s in NODE_STATUSES]
    i_job_status = [plan.call("ZCARD", keys.jobs_with_status(s)) for s in JOB_STATUSES]
    i_agents = plan.call("ZCARD", keys.agents_all)
    i_agents_live = plan.call("ZCARD", keys.agents_seen)
    i_leases = plan.call("ZCARD", keys.leases)
    i_totals = plan.call("HMGET", keys.totals, "gross", "node_earnings", "platform_revenue")
    i_balances = plan.call("HMGET", keys.balances, "platform", "escrow")
    last_bucket = now // STATS_BUCKET_MS
    buckets = [str(b) for b in range(last_bucket - view.series_buckets + 1, last_bucket + 1)]
    i_series = {
        name: plan.call("HMGET", keys.series(name), *buckets)
        for name in ("completed", "failed", "revenue")
    }

    def node_window(window: NodeWindow) -> int:
        index = keys.nodes_all if window.status is None else keys.nodes_with_status(window.status)
        flag = "1" if window.newest_first else "0"
        return plan.script("snapshot_nodes", [index], window.offset, window.limit, flag)

    i_nodes = node_window(view.nodes) if view.nodes else None
    i_earnings = node_window(view.earnings) if view.earnings else None

    i_jobs = None
    if view.jobs:
        w = view.jobs
        if w.node_id:
            index, state = keys.node_history(w.node_id), w.status or ""
        elif w.status:
            index, state = keys.jobs_with_status(w.status), ""
        else:
            index, state = keys.jobs_all, ""
        i_jobs = plan.script(
            "snapshot_jobs",
            [index],
            w.offset,
            w.limit,
            "1" if w.newest_first else "0",
            w.job_type or "",
            state,
            w.scan_budget,
        )

    i_map = None
    if view.map:
        m = view.map
        i_map = plan.script(
            "snapshot_map",
            [keys.nodes_all],
            m.cursor,
            m.chunk,
            m.width,
            m.height,
            MAP_TOP,
            MAP_BOTTOM,
        )

    i_agents_view = None
    if view.agents:
        a = view.agents
        first_bucket = last_bucket - a.buckets + 1
        i_agents_view = plan.script(
            "snapshot_agents",
            [keys.agents_all],
            a.offset,
            a.limit,
            first_bucket,
            a.buckets,
            a.summary_budget,
        )

    i_triage = None
    if view.triage:
        i_triage = plan.script(
            "snapshot_triage", [keys.deadlines], now, view.triage_limit, view.triage_budget
        )

    i_job_detail = i_job_history = None
    if view.job_detail:
        i_job_detail = plan.call("HGETALL", keys.job(view.job_detail))
        i_job_history = plan.call("LRANGE", keys.job_history(view.job_detail), -50, -1)
    i_node_detail = i_node_jobs = None
    if view.node_detail:
        i_node_detail = plan.call("HGETALL", keys.node(view.node_detail))
        i_node_jobs = plan.call("SRANDMEMBER", keys.node_jobs(view.node_detail), 50)

    payments_at: tuple[int, int] | None = None
    if view.payments:
        first = len(plan.commands)
        for command in summary_commands(store, hours=24, now_ms=now):
            plan.call(*command)
        payments_at = (first, len(plan.commands))

    r = await plan.run()

    counts = Counts(
        nodes=int(r[i_nodes_all]),
        jobs=int(r[i_jobs_all]),
        nodes_by_status={s: int(r[i]) for s, i in zip(NODE_STATUSES, i_node_status, strict=True)},
        jobs_by_status={s: int(r[i]) for s, i in zip(JOB_STATUSES, i_job_status, strict=True)},
        agents=int(r[i_agents]),
        agents_live=int(r[i_agents_live]),
        leases=int(r[i_leases]),
    )
    gross, node_earnings, platform_revenue = (_int(v) for v in r[i_totals])
    platform_balance, escrow = (_int(v) for v in r[i_balances])
    money = Money(
        gross=gross,
        node_earnings=node_earnings,
        platform_revenue=platform_revenue,
        platform_balance=platform_balance,
        escrow_balance=escrow,
    )
    series = Series(
        bucket_ms=STATS_BUCKET_MS,
        last_bucket=last_bucket,
        completed=[_int(v) for v in r[i_series["completed"]]],
        failed=[_int(v) for v in r[i_series["failed"]]],
        revenue=[_int(v) for v in r[i_series["revenue"]]],
    )

    def node_page(index: int | None, window: NodeWindow | None) -> Page[NodeRow] | None:
        if index is None or window is None:
            return None
        reply = _script_reply(r[index])
        return Page[NodeRow](
            rows=[node_row(h) for h in _rows(reply)],
            total=_int(reply.get("total")),
            offset=window.offset,
        )

    jobs_page = None
    if i_jobs is not None and view.jobs is not None:
        reply = _script_reply(r[i_jobs])
        jobs_page = Page[JobRow](
            rows=[job_row(h) for h in _rows(reply)],
            total=_int(reply.get("total")),
            offset=view.jobs.offset,
            exact=bool(reply.get("exact", True)),
            scanned=_int(reply.get("scanned")),
        )

    map_chunk = None
    if i_map is not None and view.map is not None:
        reply = _script_reply(r[i_map])
        cells_raw = reply.get("cells") or {}
        cells = {
            int(k): (int(v[0]), int(v[1]), int(v[2]), int(v[3]))
            for k, v in (cells_raw.items() if isinstance(cells_raw, dict) else [])
        }
        map_chunk = MapChunk(
            width=view.map.width,
            height=view.map.height,
            total=_int(reply.get("total")),
            cursor=_int(reply.get("cursor")),
            next_cursor=_int(reply.get("next")),
            read=_int(reply.get("read")),
            cells=cells,
        )

    agents_view = None
    if i_agents_view is not None and view.agents is not None:
        reply = _script_reply(r[i_agents_view])
        fields = reply.get("fields") or []
        rows_raw = reply.get("rows") or []
        agent_rows = [
            agent_row(dict(zip(fields, row[: len(fields)], strict=False)), row[len(fields)])
            for row in (rows_raw if isinstance(rows_raw, list) else [])
            if len(row) > len(fields)
        ]
        groups_raw = reply.get("groups") or {}
        groups = [
            AgentGroup(
                name=name,
                idle=_int(g.get("idle")),
                working=_int(g.get("working")),
                stalled=_int(g.get("stalled")),
                stopped=_int(g.get("stopped")),
            )
            for name, g in sorted(groups_raw.items() if isinstance(groups_raw, dict) else [])
        ]
        agents_view = AgentsView(
            page=Page[AgentRow](
                rows=agent_rows, total=_int(reply.get("total")), offset=view.agents.offset
            ),
            groups=groups,
            counted=_int(reply.get("counted")),
        )

    triage = None
    if i_triage is not None:
        triage = triage_from_reply(_script_reply(r[i_triage]), now)

    job_detail = node_detail = None
    missing = None
    if view.job_detail and i_job_detail is not None and i_job_history is not None:
        fields_map = _decode_hash(r[i_job_detail])
        if fields_map:
            job_detail = JobDetail(
                job_id=view.job_detail,
                fields=fields_map,
                history=[_text(e) or "" for e in r[i_job_history]],
            )
        else:
            missing = view.job_detail
    if view.node_detail and i_node_detail is not None and i_node_jobs is not None:
        fields_map = _decode_hash(r[i_node_detail])
        if fields_map:
            node_detail = NodeDetail(
                node_id=view.node_detail,
                fields=fields_map,
                jobs=sorted(_text(j) or "" for j in r[i_node_jobs]),
            )
        else:
            missing = view.node_detail

    payouts = None
    if payments_at is not None:
        payouts = summary_from(
            r[payments_at[0] : payments_at[1]],
            payments_enabled=view.payments_enabled,
            hours=24,
            now_ms=now,
        ).model_dump(mode="json")

    return Snapshot(
        now_ms=now,
        payouts=payouts,
        counts=counts,
        money=money,
        series=series,
        nodes=node_page(i_nodes, view.nodes),
        earnings=node_page(i_earnings, view.earnings),
        jobs=jobs_page,
        map=map_chunk,
        agents=agents_view,
        triage=triage,
        job_detail=job_detail,
        node_detail=node_detail,
        detail_missing=missing,
        commands=len(plan.commands),
    )


def _s(count: Any) -> str:
    """The plural ending for `count` things."""
    return "" if _int(count) == 1 else "s"


def _ago(now: int, then: int | None) -> str:
    if not then:
        return "a while"
    seconds = max(0, (now - then) // 1000)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def triage_from_reply(reply: dict[str, Any], now: int) -> Triage:
    """Turn the triage script's findings into items, most severe first."""
    items: list[TriageItem] = []

    def listed(name: str) -> list[list[Any]]:
        value = reply.get(name) or []
        return value if isinstance(value, list) else []

    ledger = reply.get("ledger") or {}
    if isinstance(ledger, dict) and ledger.get("balanced") in ("0", "false", "False"):
        items.append(
            TriageItem(
                severity="critical",
                kind="ledger",
                target="ledger",
                target_kind="ledger",
                summary="The ledger check failed: "
                + (_text(ledger.get("problems")) or "run `lcn ledger check`.")
                + (" Payouts are stopped until it passes." if ledger.get("payable") == "0" else ""),
                since_ms=_opt_int(ledger.get("checked_at")),
            )
        )
    refused = listed("stripe_key")
    if len(refused) == 4:
        status, error, since, held = refused
        items.append(
            TriageItem(
                severity="critical",
                kind="stripe_key",
                target="stripe",
                target_kind="payments",
                summary=(_text(error) or f"Stripe refused our API key ({status}).")
                + f" {held} payout{_s(held)} held: set a working STRIPE_SECRET_KEY (they then "
                "go again on their own) or run `lcn payouts retry ID` once it is fixed.",
                since_ms=_opt_int(since),
            )
        )
    for job_id, deadline, job_type, node, agent, _status in listed("overdue"):
        items.append(
            TriageItem(
                severity="high",
                kind="overdue",
                target=str(job_id),
                target_kind="job",
                summary=f"{_text(job_type) or 'job'} past its timeout by "
                f"{_ago(now, _opt_int(deadline))} on {short_id(_text(node))}"
                f" ({_text(agent) or 'no agent'})",
                since_ms=_opt_int(deadline),
            )
        )
    for node_id, held, region, last_seen in listed("offline_holding"):
        items.append(
            TriageItem(
                severity="high",
                kind="offline_holding",
                target=str(node_id),
                target_kind="node",
                summary=f"offline node in {_text(region) or '?'} still holds {held} job"
                f"{_s(held)} (seen {_ago(now, _opt_int(last_seen))} ago)",
                since_ms=_opt_int(last_seen),
            )
        )
    for agent_id, node, beat in listed("stalled"):
        items.append(
            TriageItem(
                severity="medium",
                kind="stalled_agent",
                target=str(agent_id),
                target_kind="agent",
                summary=f"agent stalled on {short_id(_text(node))}, silent for "
                f"{_ago(now, _opt_int(beat))}",
                since_ms=_opt_int(beat),
            )
        )
    for tag, waiting, _oldest, since in listed("unrunnable"):
        items.append(
            TriageItem(
                severity="medium",
                kind="unrunnable",
                target=str(tag),
                target_kind="tag",
                summary=f"{waiting} pending job{_s(waiting)} need "
                f"{tag}, which no registered node offers",
                since_ms=_opt_int(since),
            )
        )
    for job_id, finished, job_type, node, error, attempts in listed("failed"):
        items.append(
            TriageItem(
                severity="low",
                kind="failed",
                target=str(job_id),
                target_kind="job",
                summary=f"{_text(job_type) or 'job'} failed after {_int(attempts)} attempt"
                f"{_s(attempts)} on {short_id(_text(node))}: "
                f"{_text(error) or 'no error recorded'}",
                since_ms=_opt_int(finished),
            )
        )
    items.sort(key=lambda item: SEVERITY_ORDER[item.severity])
    return Triage(
        items=items,
        overdue_count=_int(reply.get("overdue_count")),
        failed_count=_int(reply.get("failed_count")),
    )


def short_id(value: str | None, size: int = 10) -> str:
    """The tail of a CID: the head (`bafyrei…`) is the same for every record."""
    if not value:
        return "-"
    return "…" + value[-size:] if len(value) > size + 1 else value


async def capable_nodes(store: Store, job_id: str, limit: int = 32) -> Capable:
    """The nodes that could take `job_id` now, for the reassign dialog (one script call)."""
    reply = await store.script("snapshot_capable", [store.keys.job(job_id)], limit)
    reply = reply if isinstance(reply, dict) else {}
    nodes_raw = reply.get("nodes") or []
    return Capable(
        found=bool(reply.get("found")),
        tag=_text(reply.get("tag")) or "",
        current=_text(reply.get("current")) or None,
        status=_text(reply.get("status")) or "",
        capable=_int(reply.get("capable")),
        nodes=[
            CapableNode(
                node_id=str(n[0]),
                region=_text(n[1]) or "",
                status=_text(n[2]) or "",
                cpu=_int(n[3]),
                cpu_used=_int(n[4]),
                reputation=_int(n[5]),
                rate=_int(n[6]),
                fits=bool(n[7]),
            )
            for n in (nodes_raw if isinstance(nodes_raw, list) else [])
        ],
    )


class MapSweep:
    """Builds the whole fleet's map from the chunks successive polls read.

    A fleet that fits in one chunk is read whole every poll, so the map is live. A larger one
    is swept chunk by chunk: counts gather in `next` and replace `cells` when a sweep completes,
    so the map never shows a half-counted fleet, and its memory is the grid, not the fleet."""

    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self.cursor = 0
        self.cells: dict[int, list[int]] = {}
        self._next: dict[int, list[int]] = {}
        self.complete = False
        self.sweeps = 0

    def request(self, width: int, height: int, chunk: int = 500) -> MapWindow:
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self.cursor, self.cells, self._next, self.complete = 0, {}, {}, False
        return MapWindow(width=width, height=height, cursor=self.cursor, chunk=chunk)

    def absorb(self, chunk: MapChunk) -> None:
        if (chunk.width, chunk.height) != (self.width, self.height):
            return
        if chunk.cursor == 0:
            self._next = {}
        for cell, counts in chunk.cells.items():
            into = self._next.setdefault(cell, [0, 0, 0, 0])
            for i in range(4):
                into[i] += counts[i]
        self.cursor = chunk.next_cursor
        if chunk.next_cursor == 0:
            self.cells, self._next = self._next, {}
            self.complete = True
            self.sweeps += 1


__all__ = [
    "JOB_STATUSES",
    "JOB_TYPES",
    "NODE_STATUSES",
    "AgentWindow",
    "Capable",
    "JobWindow",
    "MapSweep",
    "MapWindow",
    "NodeWindow",
    "Snapshot",
    "ViewRequest",
    "capable_nodes",
    "poll",
    "short_id",
]
