"""core.reads.snapshot: what one poll reads, and that it costs the same at any size."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio.client import Pipeline, Redis

from console.map_sweep import MapSweep
from core.config import Settings
from core.devkit import seed
from core.reads import snapshot as snap
from core.store import Store, connect


def full_view(now: int, **overrides: Any) -> snap.ViewRequest:
    fields: dict[str, Any] = {
        "nodes": snap.NodeWindow(limit=20),
        "earnings": snap.NodeWindow(limit=20),
        "jobs": snap.JobWindow(limit=20),
        "map": snap.MapWindow(width=60, height=16, chunk=100),
        "agents": snap.AgentWindow(limit=30, summary_budget=100),
        "now_ms": now,
        "triage_budget": 10,
    }
    fields.update(overrides)
    return snap.ViewRequest(**fields)


async def test_poll_reads_counts_windows_and_triage(store: Store) -> None:
    summary = await seed.seed(store)
    result = await snap.poll(
        store,
        full_view(summary.now_ms, job_detail=summary.first("running"),
                  node_detail=summary.nodes[0], triage_budget=500),
    )  # fmt: skip
    assert result.counts.nodes == 36 and result.counts.jobs == 400
    assert sum(result.counts.jobs_by_status.values()) == 400
    assert result.nodes is not None and len(result.nodes.rows) == 20
    assert result.nodes.total == 36
    assert result.jobs is not None and len(result.jobs.rows) == 20
    created = [r.created_at or 0 for r in result.jobs.rows]
    assert created == sorted(created, reverse=True)
    assert result.money.gross == result.money.node_earnings + result.money.platform_revenue
    assert len(result.series.revenue) == 60 and sum(result.series.completed) > 0
    assert result.map is not None and result.map.read == 36 and result.map.next_cursor == 0
    assert sum(sum(c) for c in result.map.cells.values()) == 36
    assert result.agents is not None and result.agents.groups
    assert result.triage is not None
    kinds = {item.kind for item in result.triage.items}
    assert {"overdue", "offline_holding", "stalled_agent", "unrunnable", "failed"} <= kinds
    order = [snap.SEVERITY_ORDER[i.severity] for i in result.triage.items]
    assert order == sorted(order)
    assert result.job_detail is not None and result.job_detail.history
    assert result.job_detail.task is not None
    assert result.node_detail is not None


async def test_job_filters_use_the_index_or_a_bounded_scan(store: Store) -> None:
    summary = await seed.seed(store)
    by_state = await snap.poll(
        store, snap.ViewRequest(jobs=snap.JobWindow(status="failed"), now_ms=summary.now_ms)
    )
    assert by_state.jobs is not None and by_state.jobs.exact
    assert {r.status for r in by_state.jobs.rows} == {"failed"}
    by_type = await snap.poll(
        store,
        snap.ViewRequest(
            jobs=snap.JobWindow(job_type="model-inference", limit=5, scan_budget=50),
            now_ms=summary.now_ms,
        ),
    )
    assert by_type.jobs is not None and by_type.jobs.scanned <= 50
    assert {r.job_type for r in by_type.jobs.rows} == {"model-inference"}
    assert not by_type.jobs.exact


async def test_missing_detail_is_reported(store: Store) -> None:
    missing = seed.fake_cid("nothing")
    result = await snap.poll(store, snap.ViewRequest(job_detail=missing))
    assert result.job_detail is None and result.detail_missing == missing


async def test_capable_nodes_lists_the_schedulers_candidates(store: Store) -> None:
    summary = await seed.seed(store)
    capable = await snap.capable_nodes(store, summary.first("running"))
    assert capable.found and capable.capable > 0 and capable.nodes
    assert any(n.fits for n in capable.nodes)


def test_map_sweep_swaps_in_a_whole_fleet_only() -> None:
    sweep = MapSweep()
    window = sweep.request(10, 5, chunk=2)
    assert window.cursor == 0

    def chunk(cursor: int, nxt: int, cells: dict[int, tuple[int, int, int, int]]) -> snap.MapChunk:
        return snap.MapChunk(width=10, height=5, total=4, cursor=cursor, next_cursor=nxt,
                             read=2, cells=cells)  # fmt: skip

    sweep.absorb(chunk(0, 2, {3: (1, 0, 0, 0)}))
    assert not sweep.complete and sweep.cells == {}
    assert sweep.request(10, 5, chunk=2).cursor == 2
    sweep.absorb(chunk(2, 0, {3: (0, 0, 0, 1), 7: (1, 0, 0, 0)}))
    assert sweep.complete and sweep.cells == {3: [1, 0, 0, 1], 7: [1, 0, 0, 0]}


async def _server_calls(store: Store) -> int:
    stats = await store.redis.info("commandstats")
    return sum(
        int(v["calls"]) for k, v in stats.items() if k not in ("cmdstat_info", "cmdstat_config")
    )


@pytest.mark.parametrize("sizes", [((200, 2_000), (2_000, 20_000))])
async def test_one_round_trip_and_bounded_commands_at_any_size(
    settings: Settings, sizes: tuple[tuple[int, int], ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same poll over a pool ten times larger sends the same commands in one pipeline,
    and the server runs a bounded number of commands for it (Lua's included). The benchmark
    (`lcn bench console`) measures 100k nodes / 1M jobs."""
    executes: list[int] = []
    direct: list[str] = []
    original_execute = Pipeline.execute
    original_command = Redis.execute_command

    async def counting_execute(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        executes.append(len(self.command_stack))
        return await original_execute(self, *args, **kwargs)

    async def counting_command(self: Redis, *args: Any, **kwargs: Any) -> Any:
        direct.append(str(args[0]))
        return await original_command(self, *args, **kwargs)

    costs = []
    for index, (nodes, jobs) in enumerate(sizes):
        pool_settings = settings.model_copy(update={"pool": f"{settings.pool}-size{index}"})
        store = await connect(pool_settings)
        try:
            summary = await seed.seed(store, nodes=nodes, jobs=jobs, lean=True, with_triage=False)
            assert (await snap.poll(store, snap.ViewRequest())).counts.jobs == jobs
            view = full_view(summary.now_ms)
            await snap.poll(store, view)  # scripts cached, connection warm
            await store.redis.config_resetstat()
            monkeypatch.setattr(Pipeline, "execute", counting_execute)
            monkeypatch.setattr(Redis, "execute_command", counting_command)
            executes.clear()
            direct.clear()
            result = await snap.poll(store, view)
            monkeypatch.undo()
            server_calls = await _server_calls(store)
            assert executes == [result.commands] and direct == []
            costs.append((result.commands, server_calls))
        finally:
            await seed.drop_pool(store)
            await store.close()
    (small_cmds, small_calls), (large_cmds, large_calls) = costs
    assert small_cmds == large_cmds < 40
    # The map's chunk, the swarm and triage read a field per HGET (no reply table per node:
    # less Lua garbage, see snapshot_triage.lua): about 4 calls a node of a 200-node chunk.
    assert small_calls <= 1_000 and large_calls <= 1_000
    assert abs(large_calls - small_calls) <= 20  # pending tags may differ; fleet size does not


async def test_payments_summary_rides_in_the_same_round_trip(store: Store) -> None:
    pytest.importorskip("core.payments.summary")
    result = await snap.poll(store, snap.ViewRequest(payments=True, now_ms=seed.FIXED_NOW_MS))
    assert result.payouts is not None and result.payouts["payments_enabled"] is False
    assert result.payouts["payouts"]["pending"] == 0


async def _lua_kb(store: Store) -> float:
    """The server's Lua heap in KB (garbage not yet collected included)."""
    return float(await store.redis.eval("return tostring(collectgarbage('count'))", 0))


async def test_a_large_pools_poll_leaves_little_lua_garbage(store: Store) -> None:
    """The server sweeps its scripts' Lua garbage in the time of every 50th script, whichever
    it is: a console's poll that left a reply table per node, agent or offline node
    (HMGET's) made some of its polls several times slower than the rest (its p99 at 100k
    nodes). The scans read a field per HGET, whose strings are interned and shared between
    polls, so a poll of every heavy read at the console's large-pool budgets leaves a fraction
    of what it did (376 KB before, 132 after)."""
    summary = await seed.seed(store, nodes=2_000, jobs=2_000, lean=True)
    view = full_view(
        summary.now_ms,
        map=snap.MapWindow(width=60, height=16, chunk=500),
        agents=snap.AgentWindow(limit=30, summary_budget=500),
        earnings=snap.NodeWindow(limit=20, sort="earnings", search_budget=500),  # a slice
        jobs=snap.JobWindow(limit=20, sort="cost", search_budget=500),
        triage_budget=200,
    )
    await store.redis.eval("collectgarbage('collect') return 1", 0)
    await snap.poll(store, view)  # the keys and fields it reads are interned from here on
    await store.redis.eval("collectgarbage('stop') return 1", 0)
    try:
        before = await _lua_kb(store)
        await snap.poll(store, view)
        garbage = await _lua_kb(store) - before
    finally:
        await store.redis.eval("collectgarbage('restart') return 1", 0)
    assert 0 < garbage < 160, f"{garbage:.1f} KB of Lua garbage in one poll"
