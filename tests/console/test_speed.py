"""The console's speed-ups must not change what it shows: a sorted window refreshed in slices
merges into what one whole read returns, a row that changes is drawn anew, a row that leaves
disappears, and the counts stay exact. Counts and rows are asserted, never times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio.client import Pipeline

from console import drawing, ordered_sweep
from console.devkit.console_bench import render, run_console_bench
from console.ordered_sweep import OrderedSweep
from console.shots import screen_text, settle
from console.widgets.status_line import StatusLine
from console.widgets.world_map import WorldMap
from core.config import Settings
from core.devkit.seed import CREATORS, SeedSummary
from core.reads.batch import read
from core.reads.jobs import JOB_ROWS, JobWindow, jobs_read
from core.reads.model import Page
from core.reads.nodes import NODE_ROWS, NodeWindow, nodes_read
from core.reads.replies import RowMemo
from core.store import Store
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]


async def sliced(store: Store, window: Any, slice_size: int, reader: Callable[..., Any]) -> Any:
    """The window read as the console refreshes it: a slice per read, merged at the end."""
    sweep = OrderedSweep(budget=window.search_budget)
    monkey = pytest.MonkeyPatch()
    monkey.setattr(ordered_sweep, "SLICE", slice_size)
    try:
        while True:
            part = window.model_copy(
                update={
                    "offset": 0,
                    "limit": window.offset + window.limit,
                    "scan_from": sweep.next_from,
                    "search_budget": sweep.slice_budget(),
                }
            )
            merged = sweep.absorb(
                await read(store, reader(part)), offset=window.offset, limit=window.limit
            )
            if merged is not None:
                return merged, sweep.slices
    finally:
        monkey.undo()


def same_page(a: Page[Any], b: Page[Any]) -> None:
    assert [r.model_dump() for r in a.rows] == [r.model_dump() for r in b.rows]
    assert (a.total, a.offset, a.exact, a.scanned, a.matched) == (
        b.total,
        b.offset,
        b.exact,
        b.scanned,
        b.matched,
    )


@pytest.mark.parametrize(
    "window",
    [
        JobWindow(limit=12, sort="cost"),
        JobWindow(offset=7, limit=9, sort="attempts", newest_first=False),
        JobWindow(limit=15, text="0x"),  # a search: the index's order, the first matches
        JobWindow(limit=10, sort="cost", status="failed"),
        JobWindow(limit=10, sort="cost", search_budget=150),  # the budget ends the pass
    ],
)
async def test_job_slices_merge_into_the_whole_read(
    store: Store, seeded: SeedSummary, window: JobWindow
) -> None:
    whole = await read(store, jobs_read(store, window))
    merged, slices = await sliced(store, window, 7, lambda w: jobs_read(store, w))
    assert slices > 1
    same_page(merged, whole)


@pytest.mark.parametrize(
    "window",
    [
        NodeWindow(limit=8, sort="earnings"),
        NodeWindow(offset=3, limit=6, sort="load"),
        NodeWindow(limit=8, sort="reputation", newest_first=False),
        NodeWindow(limit=8, text="us-"),
    ],
)
async def test_node_slices_merge_into_the_whole_read(
    store: Store, seeded: SeedSummary, window: NodeWindow
) -> None:
    whole = await read(store, nodes_read(store, "nodes", window))
    merged, slices = await sliced(store, window, 5, lambda w: nodes_read(store, "nodes", w))
    assert slices > 1
    same_page(merged, whole)


async def test_a_stale_sorted_window_is_read_again_in_slices_one_round_trip_each(
    make_console: Make, seeded: SeedSummary, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a pass is under way the table keeps its rows; when it completes, a job that
    became the costliest is on top, and each poll of the pass was one pipeline."""
    monkeypatch.setattr(ordered_sweep, "SLICE", 60)
    executes: list[int] = []
    original = Pipeline.execute

    async def counting(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        executes.append(len(self.command_stack))
        return await original(self, *args, **kwargs)

    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "s", "s")  # cost ↓
        view = app.state.tables["jobs"]
        table = app.pane("jobs").table
        before = [str(r.key.value) for r in table.ordered_rows]
        # The newest job (the first slice) and the oldest (the last) become the costliest.
        ends = [await store.redis.zrange(store.keys.jobs_all, i, i) for i in (-1, 0)]
        newest, oldest = (found[0].decode() for found in ends)
        await store.redis.hset(store.keys.job(newest), "actual_cost", 900_000_000)
        await store.redis.hset(store.keys.job(oldest), "actual_cost", 999_000_000)
        assert view.ordered_at is not None
        view.ordered_at -= 60  # stale
        monkeypatch.setattr(Pipeline, "execute", counting)
        polls = 0
        while True:
            await app.poll_once()
            await pilot.pause()
            polls += 1
            if view.sweep is None:
                break
            assert app.state.sliced == {"jobs"}
            assert [str(r.key.value) for r in table.ordered_rows] == before  # the last whole window
            assert app.snapshot is not None and app.snapshot.jobs is view.page
        monkeypatch.undo()
        assert polls == 400 // 60 + 1
        assert len(executes) == polls and all(n == executes[0] for n in executes)
        rows = [str(r.key.value) for r in table.ordered_rows]
        assert rows[:2] == [oldest, newest]
        assert view.page is not None and view.page.matched == 400 and view.page.scanned == 400


async def test_rows_that_change_or_leave_are_drawn_and_counts_stay_exact(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    """With every cache on (as shipped): a job whose state changes shows its new state, a
    job that leaves Redis leaves the table, and the counts follow both."""
    assert RowMemo.enabled
    app = make_console()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        table = app.pane("jobs").table
        await settle(pilot, app)
        first, second = (str(k.value) for k in list(table.rows)[:2])
        snapshot = app.snapshot
        assert snapshot is not None
        pending_before = snapshot.counts.jobs_by_status["pending"]
        jobs_before = snapshot.counts.jobs
        row = next(r for r in snapshot.jobs.rows if r.job_id == first)  # type: ignore[union-attr]
        old_status = row.status
        new_status = "cancelled" if old_status != "cancelled" else "failed"
        keys = store.keys
        await store.redis.hset(keys.job(first), "status", new_status)
        await store.redis.zrem(keys.jobs_with_status(old_status), first)
        await store.redis.zadd(keys.jobs_with_status(new_status), {first: 1})
        second_status = next(
            r.status
            for r in snapshot.jobs.rows  # type: ignore[union-attr]
            if r.job_id == second
        )
        await store.redis.delete(keys.job(second))
        await store.redis.zrem(keys.jobs_all, second)
        await store.redis.zrem(keys.jobs_with_status(second_status), second)
        await app.poll_once()
        await pilot.pause()
        shown = app.snapshot
        assert shown is not None and shown.jobs is not None
        assert second not in table.rows and second not in {r.job_id for r in shown.jobs.rows}
        cells = [str(c) for c in table.get_row(first)]
        assert any(new_status in c for c in cells) and not any(old_status in c for c in cells)
        assert shown.counts.jobs == jobs_before - 1
        expected_pending = pending_before - (old_status == "pending") - (second_status == "pending")
        assert shown.counts.jobs_by_status["pending"] == expected_pending
        assert len(table.rows) == len(shown.jobs.rows)


async def test_row_memo_gives_a_new_row_when_any_value_changes(
    store: Store, seeded: SeedSummary
) -> None:
    """The decoded-row memo hands back the same row for the same values, and a new one as
    soon as one value differs."""
    window = JobWindow(limit=5)
    first = await read(store, jobs_read(store, window))
    again = await read(store, jobs_read(store, window))
    assert all(a is b for a, b in zip(first.rows, again.rows, strict=True))
    job_id = first.rows[0].job_id
    await store.redis.hset(store.keys.job(job_id), "attempts", 7)
    changed = await read(store, jobs_read(store, window))
    assert changed.rows[0] is not first.rows[0] and changed.rows[0].attempts == 7
    assert all(a is b for a, b in zip(first.rows[1:], changed.rows[1:], strict=True))
    nodes = await read(store, nodes_read(store, "nodes", NodeWindow(limit=3)))
    assert nodes.rows and JOB_ROWS is not NODE_ROWS


async def test_the_map_legend_follows_the_sweep_poll_by_poll(
    make_console: Make, seeded: SeedSummary
) -> None:
    """Only the legend line is rebuilt while a sweep goes on: it still says, at every poll,
    how far the sweep has come, and the map shows the whole fleet once it is complete."""
    app = make_console(map_chunk=10)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        seen = []
        for _ in range(5):
            await app.poll_once()
            await pilot.pause()
            chunk = app.snapshot.map if app.snapshot else None
            assert chunk is not None and chunk.total == len(seeded.nodes) > chunk.read
            words = f"sweep {chunk.cursor + chunk.read:,}/{chunk.total:,}"
            assert words in screen_text(app)
            seen.append(words)
        assert len(set(seen)) >= 3  # the legend changed and was drawn each time
        sweep = app.state.map_sweep
        assert sweep.complete and sum(sum(c) for c in sweep.cells.values()) == len(seeded.nodes)


async def test_the_bench_reports_baseline_and_tuned_phase_by_phase(settings: Settings) -> None:
    """`lcn bench console` measures the baseline and the console as shipped in the same run,
    each with poll, apply, paint and total p50/p99, RSS and the load; figures are printed,
    never asserted. The speed-ups are on again afterwards."""
    report = await run_console_bench(settings, ((40, 300),), samples=10)
    (size,) = report["sizes"]
    for run in (size, size["baseline"]):
        for phase in ("poll_ms", "apply_ms", "paint_ms", "poll_render_ms"):
            assert set(run[phase]) >= {"p50", "p99"}
        assert run["rss_peak_mb"] > 0 and len(run["load_avg_1m"]) == 2
    assert size["commands_per_poll"] == size["baseline"]["commands_per_poll"] > 0
    text = render(report)
    assert "baseline" in text and "tuned" in text and "load" in text
    assert RowMemo.enabled and OrderedSweep.enabled and StatusLine.skip_unchanged
    assert WorldMap.partial_legend and drawing.CACHE_PANES


@pytest.mark.parametrize("sort", ["earnings", "load", "reputation", "running"])
async def test_a_node_sort_is_the_columns_order(
    store: Store, seeded: SeedSummary, sort: str
) -> None:
    """Checked against the rows themselves: largest first, ties in the index's order (the
    script reads each entry's sort fields by HGET, not as the table's rows are read)."""
    # The oldest node is busy by memory alone: the load sort must read memory too.
    oldest = (await store.redis.zrange(store.keys.nodes_all, 0, 0))[0].decode()
    memory = await store.redis.hget(store.keys.node(oldest), "memory_mb")
    await store.redis.hset(store.keys.node(oldest), mapping={"cpu_used": 0, "mem_used": memory})
    every = await read(store, nodes_read(store, "nodes", NodeWindow(limit=500)))
    expected = sorted(every.rows, key=lambda row: -getattr(row, sort))
    page = await read(store, nodes_read(store, "nodes", NodeWindow(limit=500, sort=sort)))  # type: ignore[arg-type]
    assert [r.node_id for r in page.rows] == [r.node_id for r in expected]
    assert len(set(getattr(r, sort) for r in expected)) > 1  # the column does order something


@pytest.mark.parametrize(
    "window",
    [
        JobWindow(limit=500, sort="cost"),
        JobWindow(limit=500, sort="attempts", status="failed"),
        JobWindow(limit=500, job_type="model-inference", status="completed"),
        JobWindow(limit=500, text=CREATORS[1][2:12]),  # in the creator
        JobWindow(limit=500, sort="cost", text="LEASE"),  # in the error, any case
        JobWindow(limit=500, status="completed", node_id="first", sort="attempts"),
    ],
)
async def test_a_job_filter_search_and_sort_match_the_hashes(
    store: Store, seeded: SeedSummary, window: JobWindow
) -> None:
    """Checked against every job hash read whole: the type and state filters, the search in
    id, creator, error and node, and the sort (cost: actual, else estimated), largest first
    with ties in the index's order."""
    if window.node_id:  # a node's history, filtered by state entry by entry
        window = window.model_copy(update={"node_id": seeded.nodes[0]})
        index = store.keys.node_history(seeded.nodes[0])
    else:  # a state's own index, or every job's
        index = store.keys.jobs_with_status(window.status) if window.status else store.keys.jobs_all
    ids = [i.decode() for i in await store.redis.zrevrange(index, 0, -1)]
    hashes = {}
    for job_id in ids:
        raw = await store.redis.hgetall(store.keys.job(job_id))
        hashes[job_id] = {k.decode(): v.decode() for k, v in raw.items()}

    def keeps(job_id: str) -> bool:
        h = hashes[job_id]
        searched = [job_id, h.get("creator", ""), h.get("error", ""), h.get("node", "")]
        return (
            (window.job_type is None or h.get("type") == window.job_type)
            and (window.status is None or h.get("status") == window.status)
            and (window.text is None or any(window.text.lower() in s.lower() for s in searched))
        )

    def value(job_id: str) -> int:
        h = hashes[job_id]
        if window.sort == "cost":
            return int(h.get("actual_cost") or h.get("estimated_cost") or 0)
        return int(h.get("attempts") or 0)

    expected = [i for i in ids if keeps(i)]
    if window.sort:
        expected.sort(key=lambda i: -value(i))
    page = await read(store, jobs_read(store, window))
    assert expected and [r.job_id for r in page.rows] == expected
