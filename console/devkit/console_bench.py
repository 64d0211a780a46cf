"""`lcn bench console`: how long a poll and its drawing take, and how much memory the console
holds, at 1k nodes/10k jobs and at 100k nodes/1M jobs. Figures are printed, not asserted.

Each size is seeded (in a child process, so the console's own memory is what is measured) into
a throwaway pool that is deleted afterwards. The console runs headless at 160×48 with every
dashboard pane on screen; each sample is one poll (one round trip, parsed into models), applying
it to the panes (rows updated in place), and the time Textual's compositor then spends painting
what changed (timed inside Textual, so idle waits between frames are not counted).

Each size is measured twice in the same run: first the baseline, with the console's speed-ups
off (every row decoded and every cell compared on every poll, a sorted window read whole every
few seconds, every heavy read (map chunk, triage, swarm) in every poll, the status line and the
map laid out and drawn whole at every poll, as before they existed), then the console as
shipped; the report gives both, phase by phase, the ratio of their p99s, and the machine's
load average next to each run (figures from a shared machine are only comparable at a
similar load)."""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import statistics
import sys
import time
import tracemalloc
from typing import Any

from redis.exceptions import RedisError

from console import drawing
from console.app import LcnConsole
from console.ordered_sweep import OrderedSweep
from console.poll_plan import PollPlan
from console.widgets.live_table import LiveTable
from console.widgets.pane import ChangedTitle
from console.widgets.status_line import StatusLine
from console.widgets.world_map import WorldMap
from core.config import Settings
from core.devkit import seed
from core.reads.replies import RowMemo
from core.store import Store, connect

SIZES = ((1_000, 10_000), (100_000, 1_000_000))
IDLE_S = 0.04  # longer than Textual's frame interval, so frames and polls do not overlap


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _seed(settings: Settings, url: str, nodes: int, jobs: int) -> float:
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "core.devkit.seed", settings.pool, str(nodes), str(jobs), "lean"),
        env={**os.environ, "LCN_REDIS_URL": url},  # it may carry a password: not in argv
    )
    if await proc.wait() != 0:
        raise RuntimeError("seeding the benchmark pool failed")
    return time.perf_counter() - started


async def _quiet_server(store: Store, limit_s: float = 600.0) -> float:
    """Wait until the server is not rewriting its AOF or saving a snapshot: seeding a million
    jobs makes it rewrite its AOF, a fork and a child writing gigabytes for up to a minute, and
    a run measured meanwhile (the baseline, which comes first) would pay for it alone. A server
    that does not say (INFO refused) is not waited for. Returns the seconds waited."""
    started = time.perf_counter()
    await asyncio.sleep(1.0)  # the server's cron decides on a rewrite within a fraction of this
    while time.perf_counter() - started < limit_s:
        try:
            info = await store.redis.info("persistence")
        except RedisError:
            break
        busy = ("aof_rewrite_in_progress", "aof_rewrite_scheduled", "rdb_bgsave_in_progress")
        if not any(int(info.get(flag) or 0) for flag in busy):
            break
        await asyncio.sleep(0.5)
    return time.perf_counter() - started


def _speedups(on: bool) -> None:
    """The console's speed-ups (decoded rows kept by their raw values, table rows given the
    same cells skipped, pane titles and the status line set only when they changed, a stale
    sorted window read again in slices, a large pool's heavy reads spread over polls
    (console.poll_plan), the map's legend line drawn alone, panes and styles looked up once):
    off, the baseline the same run compares with."""
    RowMemo.enabled = on
    LiveTable.skip_unchanged = on
    ChangedTitle.enabled = on
    OrderedSweep.enabled = on
    PollPlan.enabled = on
    StatusLine.skip_unchanged = on
    WorldMap.partial_legend = on
    drawing.CACHE_PANES = on


def _load() -> float:
    """The 1-minute load average (the machine is shared: figures mean little without it)."""
    return round(os.getloadavg()[0], 2)


async def _run_console(settings: Settings, samples: int, *, tuned: bool) -> dict[str, Any]:
    """Poll + apply + paint `samples` times in a headless console at 160×48."""
    _speedups(tuned)
    load_before = _load()
    app = LcnConsole(settings, refresh=300.0, operator="bench")
    poll_ms: list[float] = []
    total_ms: list[float] = []
    apply_ms: list[float] = []
    paint_ms: list[float] = []
    commands = 0
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause(0.3)
            for _ in range(3):  # warm up: layout, script cache, the map's first chunks
                await app.poll_once()
                await pilot.pause()
            compositor = app.screen._compositor
            drawn: list[float] = []
            real_render = compositor.render_update

            def timed_render(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return real_render(*args, **kwargs)
                finally:
                    drawn.append((time.perf_counter() - started) * 1000)

            # Timing Textual's own paint means wrapping its method; mypy forbids assigning one.
            compositor.render_update = timed_render  # type: ignore[method-assign]
            for _ in range(samples):
                await asyncio.sleep(IDLE_S)  # Textual has painted the last frame: poll alone
                drawn.clear()
                await app.poll_once()
                await asyncio.sleep(IDLE_S)  # the next frame paints what the poll changed
                await pilot.pause()
                total_ms.append(app.poll_ms + app.apply_ms + sum(drawn))
                poll_ms.append(app.poll_ms)
                apply_ms.append(app.apply_ms)
                paint_ms.append(sum(drawn))
                commands = app.snapshot.commands if app.snapshot else 0
            compositor.render_update = real_render  # type: ignore[method-assign]
            # Heap growth per poll, traced separately: tracing slows every allocation.
            tracemalloc.start()
            for _ in range(20):
                await app.poll_once()
                await pilot.pause()
            _, traced_peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            await app.action_quit()
    finally:
        _speedups(True)

    def pct(values: list[float]) -> dict[str, float]:
        return {"p50": round(_pct(values, 50), 2), "p99": round(_pct(values, 99), 2)}

    return {
        "load_avg_1m": [load_before, _load()],  # at the start and at the end of the run
        "commands_per_poll": commands,
        "poll_ms": pct(poll_ms),
        "apply_ms": pct(apply_ms),
        "paint_ms": pct(paint_ms),
        "poll_render_ms": {**pct(total_ms), "mean": round(statistics.fmean(total_ms), 2)},
        "python_heap_peak_mb": round(traced_peak / 2**20, 1),
        "rss_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


async def measure(settings: Settings, nodes: int, jobs: int, samples: int) -> dict[str, Any]:
    """One size, seeded once: the baseline (the console's caches off) and the console as it
    is, one after the other on the same pool and the same machine, so the ratio is fair."""
    pool = f"bench-console-{secrets.token_hex(3)}"
    private = settings.model_copy(update={"pool": pool})
    store = await connect(private)
    try:
        seed_s = await _seed(private, store.url, nodes, jobs)
        await _quiet_server(store)
        baseline = await _run_console(private, samples, tuned=False)
        tuned = await _run_console(private, samples, tuned=True)
        before = baseline["poll_render_ms"]["p99"]
        after = tuned["poll_render_ms"]["p99"]
        return {
            "nodes": nodes,
            "jobs": jobs,
            "seed_s": round(seed_s, 1),
            "samples": samples,
            **tuned,
            "baseline": baseline,
            "p99_ratio": round(after / before, 2) if before else None,
        }
    finally:
        await seed.drop_pool(store)
        await store.close()


async def run_console_bench(
    settings: Settings, sizes: tuple[tuple[int, int], ...] = SIZES, samples: int = 200
) -> dict[str, Any]:
    results = [await measure(settings, nodes, jobs, samples) for nodes, jobs in sizes]
    return {"bench": "console", "targets": {"p99_ms": 30, "rss_mb": 150}, "sizes": results}


def _row(label: str, r: dict[str, Any]) -> str:
    phases = " ".join(
        f"{r[key]['p50']:>6.1f}/{r[key]['p99']:<6.1f}"
        for key in ("poll_ms", "apply_ms", "paint_ms", "poll_render_ms")
    )
    load = "–".join(f"{v:.1f}" for v in r.get("load_avg_1m", []))
    return f"  {label:<9} {r['commands_per_poll']:>4} {phases} {r['rss_peak_mb']:>7.1f}MB  {load}"


def render(report: dict[str, Any]) -> str:
    lines = ["lcn bench console — one poll (one round trip) + apply + paint, 160×48 dashboard"]
    lines.append("ms as p50/p99 over the polls measured; load: 1-minute load average (start–end)")
    for r in report["sizes"]:
        lines.append(
            f"{r['nodes']:,} nodes, {r['jobs']:,} jobs (seeded in {r['seed_s']:.1f} s), "
            f"{r['samples']} polls each:"
        )
        lines.append(
            f"  {'':<9} {'cmds':>4} {'poll':<13} {'apply':<13} {'paint':<13} {'total':<13} "
            f"{'RSS peak':>9}  load"
        )
        lines.append(_row("baseline", r["baseline"]))
        lines.append(_row("tuned", r))
        lines.append(
            f"  total p99 now {r['p99_ratio']:.2f}× the baseline's; "
            f"Python heap peak {r['python_heap_peak_mb']:.1f} MB"
        )
    lines.append("targets at the large size: p99 ≤ 30 ms, ≤ 150 MB (RSS peak: both runs)")
    return "\n".join(lines)
