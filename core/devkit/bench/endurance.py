"""`lcn bench endurance`: does a pool stay the same size and speed after many jobs?

N no-op jobs go through submit → claim → complete on a private pool with a short retention
window while the archiver runs beside them. Every N/10 jobs the pushing stops for a sample:
the server's `used_memory`, the archive's size, how long `ledger check` takes (which also signs
the checkpoint the archiver waits for: it only archives jobs whose postings a checkpoint
covers) and the p99 latency of single-job submissions in that stretch. `memoryGrowth` and
`checkGrowth` compare the last sample with the first one taken after the window filled, so a
pool that forgets what it archived shows about 1.0.

The archiver is reached through `open_archiver` only; with `--no-archiver` the report says no
archiver ran (`archiver: null`) and the figures show a pool that keeps everything."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core import jobs, ledger
from core.archive import Archive
from core.config import Settings
from core.devkit.bench.fleet import drop_pool, import_fleet
from core.devkit.bench.pipeline import noop_body
from core.models.job import SubmitResult
from core.store import Store, connect
from core.swarm.archiver import Retention, archive_due
from core.wire.leases import ClaimedJob

WORKERS = 4  # producers, each also the agent of the nodes its jobs land on
BATCH = 20  # jobs per round: one timed single submission, then BATCH - 1 in one call
SAMPLES = 10
ARCHIVE_EVERY_S = 0.2  # the archiver loop's pause between runs
NO_ARCHIVER = "no archiver ran (--no-archiver): finished jobs stayed in Redis"


class BenchArchiver(Protocol):
    """What the benchmark needs from an archiver: archive what is due, and say how big the
    archive has grown."""

    async def run(self, store: Store) -> int: ...
    async def size_bytes(self) -> int: ...
    async def close(self) -> None: ...


async def open_archiver(settings: Settings, window_s: int, keep_jobs: int) -> BenchArchiver | None:
    """The one place the benchmark meets the archiver: the orchestrator's duty
    (core/swarm/archiver.py) on an archive of its own, trimming the journal it has archived
    (LCN_TRIM_JOURNAL) so Redis keeps only what the retention window holds."""
    retention = Retention(window_s=window_s, keep_jobs=keep_jobs, trim_journal=True)
    return _DutyArchiver(await Archive.open(settings), retention)


@dataclass
class _DutyArchiver:
    archive: Archive
    retention: Retention

    async def run(self, store: Store) -> int:
        return (await archive_due(store, self.archive, self.retention)).archived

    async def size_bytes(self) -> int:
        return (await self.archive.status()).size_bytes

    async def close(self) -> None:
        await self.archive.close()


@dataclass
class Sample:
    """One sample; the field names are the report's JSON names."""

    jobs: int
    redisUsedBytes: int
    archiveBytes: int
    ledgerCheckMs: float
    submitP99Ms: float


@dataclass
class Pusher:
    """Pushes jobs in rounds and keeps the single submissions' latencies until sampled."""

    store: Store
    done: int = 0
    started: int = 0  # jobs of rounds begun: a step stops where it should, not a round later
    latencies_ms: list[float] = field(default_factory=list)

    async def round(self, agent: str) -> None:
        body = noop_body()
        t0 = time.perf_counter()
        first = await jobs.submit_many(self.store, [body], max_attempts=3)
        self.latencies_ms.append((time.perf_counter() - t0) * 1000)
        placed = first + await jobs.submit_many(self.store, [body] * (BATCH - 1), max_attempts=3)
        per_node = Counter(r.assigned_node_id for r in placed if isinstance(r, SubmitResult))
        claims: list[ClaimedJob] = []
        for node_id, wanted in per_node.items():
            claims += await jobs.claim_many(
                self.store, str(node_id), agent, ["data-processing"], 30, max_jobs=wanted
            )
        await jobs.complete_many(
            self.store, [jobs.Completion(c.job_id, c.token, 0, 0, []) for c in claims]
        )
        self.done += len(claims)

    async def push(self, until: int) -> None:
        async def worker(i: int) -> None:
            while self.started < until:
                self.started += BATCH
                await self.round(f"endurance-{i}")

        await asyncio.gather(*(worker(i) for i in range(WORKERS)))

    def p99(self) -> float:
        taken, self.latencies_ms = self.latencies_ms, []
        if len(taken) < 2:
            return taken[0] if taken else 0.0
        return statistics.quantiles(taken, n=100, method="inclusive")[98]


async def _archive_loop(archiver: BenchArchiver, store: Store, stop: asyncio.Event) -> int:
    archived = 0
    while not stop.is_set():
        archived += await archiver.run(store)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ARCHIVE_EVERY_S)
    return archived


async def _sample(store: Store, pusher: Pusher, archiver: BenchArchiver | None) -> Sample:
    t0 = time.perf_counter()
    result = await ledger.check(store)  # signs the checkpoint the archiver needs
    check_ms = (time.perf_counter() - t0) * 1000
    if not result.ok:
        raise RuntimeError(
            "the ledger check failed during the benchmark: " + " ".join(result.problems)
        )
    memory = await store.redis.info("memory")
    return Sample(
        jobs=pusher.done,
        redisUsedBytes=int(memory["used_memory"]),
        archiveBytes=await archiver.size_bytes() if archiver else 0,
        ledgerCheckMs=round(check_ms, 2),
        submitP99Ms=round(pusher.p99(), 3),
    )


def growth(samples: list[dict[str, Any]], name: str, filled_at: int) -> float:
    """The last sample's figure ÷ the first one taken once the window had filled (the first
    sample when none was: a run too short to fill it)."""
    base = next((s for s in samples if s["jobs"] >= filled_at), samples[0])
    return round(samples[-1][name] / base[name], 3) if base[name] else 0.0


async def run_endurance_bench(
    settings: Settings,
    count: int,
    *,
    window_s: int = 5,
    keep_jobs: int | None = None,
    archiver_on: bool = True,
) -> dict[str, Any]:
    step = max(1, count // SAMPLES)
    keep = step if keep_jobs is None else keep_jobs
    # The archiver takes only jobs a checkpoint covers, and checks run once a step: Redis holds
    # the retained jobs plus up to a step more, so the window is full after `keep + step`.
    filled_at = keep + step
    scratch = Path(tempfile.mkdtemp(prefix="lcn-endurance-"))
    store = await connect(settings.model_copy(update={"pool": f"bench-{secrets.token_hex(4)}"}))
    archive_settings = settings.model_copy(update={"data_dir": scratch, "archive_url": None})
    archiver = await open_archiver(archive_settings, window_s, keep) if archiver_on else None
    stop = asyncio.Event()
    try:
        await import_fleet(store, 8, cpu=1024, memory_gb=65536)
        pusher = Pusher(store)
        loop = asyncio.create_task(_archive_loop(archiver, store, stop)) if archiver else None
        samples: list[dict[str, Any]] = []
        pushing = 0.0
        for target in range(step, count + 1, step):
            t0 = time.perf_counter()
            await pusher.push(target)
            pushing += time.perf_counter() - t0
            samples.append(vars(await _sample(store, pusher, archiver)))
        stop.set()
        archived = await loop if loop else 0
        archive_bytes = await archiver.size_bytes() if archiver else 0
    finally:
        stop.set()
        if archiver:
            await archiver.close()
        await drop_pool(store)
        await store.close()
        shutil.rmtree(scratch, ignore_errors=True)
    done = samples[-1]["jobs"] if samples else 0
    return {
        "jobs": done,
        "samples": samples,
        "memoryGrowth": growth(samples, "redisUsedBytes", filled_at),
        "checkGrowth": growth(samples, "ledgerCheckMs", filled_at),
        "jobsPerSecond": round(done / pushing, 1) if pushing else 0.0,
        "archiver": None if archiver is None else {"windowS": window_s, "keepJobs": keep},
        "archived": archived,
        "archiveBytesPerJob": round(archive_bytes / archived, 1) if archived else None,
        "note": NO_ARCHIVER if archiver is None else "",
    }


def render(report: dict[str, Any]) -> str:
    lines = [f"{report['jobs']} no-op jobs, submit → claim → complete, sampled every step"]
    if report["archiver"] is None:
        lines.append(f"  NOTE: {report['note']}")
    else:
        a = report["archiver"]
        lines.append(
            f"  archiver: retention {a['windowS']} s or {a['keepJobs']} jobs; "
            f"{report['archived']} archived, {report['archiveBytesPerJob']} bytes per job"
        )
    lines.append("      jobs   Redis MB  archive MB  check ms  submit p99 ms")
    for s in report["samples"]:
        lines.append(
            f"  {s['jobs']:>8}  {s['redisUsedBytes'] / 1e6:>9.1f}  {s['archiveBytes'] / 1e6:>10.1f}"
            f"  {s['ledgerCheckMs']:>8.1f}  {s['submitP99Ms']:>13.2f}"
        )
    lines.append(
        f"  memory growth ×{report['memoryGrowth']}, check growth ×{report['checkGrowth']}, "
        f"{report['jobsPerSecond']:.0f} jobs/s while pushing"
    )
    return "\n".join(lines)
