"""`lcn bench pipeline`: no-op jobs end to end through the core (submit → place → claim →
complete → settle), with Redis round trips counted per job; and, on the same Redis server in
the same run, the same number of no-op jobs through RQ and arq (the `bench` extra)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from typing import Any

from core import jobs
from core.config import Settings
from core.devkit.bench.commandstats import command_counts, counts_from_info, per_job
from core.devkit.bench.fleet import drop_pool, import_fleet
from core.models.job import SubmitJob, SubmitResult
from core.store import Store, connect
from core.wire.leases import ClaimedJob

WORKERS = 8  # concurrent agents in the core run; RQ and arq get their own best settings
BATCH = 50  # jobs per round trip in the batched run


def noop_body() -> SubmitJob:
    return SubmitJob.model_validate(
        {
            "creatorPKP": "0x" + "5e" * 20,
            "task": {
                "type": "data-processing",
                "operation": "sum",
                "input": {"values": []},
                "requirements": {"cpu": 1, "memory": 1, "timeout": 10},
            },
        }
    )


class RoundTrips:
    """Counts commands sent to Redis by wrapping the client's `execute_command`."""

    def __init__(self, store: Store) -> None:
        self.count = 0
        original = store.redis.execute_command

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(*args, **kwargs)

        store.redis.execute_command = counted


async def core_pipeline(store: Store, count: int, batch: int) -> dict[str, float]:
    """Producers submit and agents claim and complete; with `batch` > 1 each round trip
    carries that many jobs (bulk submission, prefetching agents, batched reports)."""
    await import_fleet(store, WORKERS, cpu=1024, memory_gb=65536)
    before = await command_counts(store.redis)
    trips = RoundTrips(store)
    body = noop_body()
    rounds = max(1, count // (WORKERS * batch))

    async def worker(i: int) -> None:
        # Each worker plays a producer and, for each job, the agent of the node it was placed
        # on: that agent's claim finds it at the head of its node's queue.
        for _ in range(rounds):
            placed = await jobs.submit_many(store, [body] * batch, max_attempts=3)
            per_node = Counter(r.assigned_node_id for r in placed if isinstance(r, SubmitResult))
            claims: list[ClaimedJob] = []
            for node_id, wanted in per_node.items():
                claims += await jobs.claim_many(
                    store, str(node_id), f"bench-{i}", ["data-processing"], 30, max_jobs=wanted
                )
            await jobs.complete_many(
                store, [jobs.Completion(c.job_id, c.token, 0, 0, []) for c in claims]
            )

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(WORKERS)))
    elapsed = time.perf_counter() - t0
    sent = trips.count  # before our own INFO and ZCARD below
    done = rounds * WORKERS * batch
    work = per_job(before, await command_counts(store.redis), done)
    completed = await store.redis.zcard(store.keys.jobs_with_status("completed"))
    inside = work["redisCommandsPerJob"] - sent / done  # each command we sent is one trip
    return {
        "jobs": done,
        "completed": completed,
        "batch": batch,
        "jobsPerSecond": done / elapsed,
        "roundTripsPerJob": sent / done,
        "callsInScriptsPerJob": round(inside, 3),
        **work,
    }


def _noop() -> int:
    return 0


def rq_pipeline(url: str, count: int) -> dict[str, Any]:
    """RQ with a SimpleWorker (no fork per job: its fastest mode) in burst mode. RQ installs
    signal handlers, so this runs in the main thread, outside the event loop."""
    try:
        import redis as sync_redis
        from rq import Queue, SimpleWorker
    except ImportError:
        return {"skipped": "rq is not installed: pip install -e '.[bench]'"}
    conn = sync_redis.Redis.from_url(url)
    queue = Queue(f"lcn-bench-{secrets.token_hex(3)}", connection=conn)
    before = counts_from_info(conn.info("commandstats"))
    t0 = time.perf_counter()
    ids = [queue.enqueue(_noop).id for _ in range(count)]
    SimpleWorker([queue], connection=conn).work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - t0
    work = per_job(before, counts_from_info(conn.info("commandstats")), count)
    queue.delete(delete_jobs=True)
    _drop_rq_leftovers(conn, queue.name, ids)
    return {
        "jobs": count,
        "jobsPerSecond": count / elapsed,
        "redisCommandsPerJob": work["redisCommandsPerJob"],
    }


def _drop_rq_leftovers(conn: Any, queue_name: str, ids: list[str]) -> None:
    """Queue.delete leaves each job's result and the queue's registries behind: drop them so a
    run leaves nothing (after the timing, so RQ does the work it always does)."""
    leftovers = [f"rq:{kind}:{job_id}" for job_id in ids for kind in ("job", "results")]
    leftovers += [key for key in conn.scan_iter(match=f"rq:*:{queue_name}*", count=1000)]
    for start in range(0, len(leftovers), 1000):
        conn.unlink(*leftovers[start : start + 1000])


async def _arq_noop(ctx: dict[str, Any]) -> int:
    return 0


def _arq_unix(url: str) -> Any:
    """arq's settings for a `unix://[user:password@]/path` URL (its from_dsn takes TCP only)."""
    from urllib.parse import unquote, urlsplit

    from arq.connections import RedisSettings

    parts = urlsplit(url)
    return RedisSettings(
        unix_socket_path=unquote(parts.path),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


async def arq_pipeline(url: str, count: int) -> dict[str, Any]:
    """arq: enqueue then a burst worker with its default concurrency."""
    from arq import create_pool
    from arq.connections import RedisSettings
    from arq.worker import Worker

    settings = RedisSettings.from_dsn(url) if not url.startswith("unix://") else _arq_unix(url)
    queue_name = f"lcn-bench-arq-{secrets.token_hex(3)}"
    pool = await create_pool(settings, default_queue_name=queue_name)
    before = await command_counts(pool)
    t0 = time.perf_counter()
    for _ in range(count):
        await pool.enqueue_job("_arq_noop", _queue_name=queue_name)
    worker = Worker(
        functions=[_arq_noop],
        redis_settings=settings,
        burst=True,
        queue_name=queue_name,
        max_jobs=50,
        handle_signals=False,
        keep_result=0,
        poll_delay=0.01,
    )
    await worker.async_run()
    elapsed = time.perf_counter() - t0
    work = per_job(before, await command_counts(pool), count)
    await worker.close()
    await pool.aclose()
    return {
        "jobs": count,
        "jobsPerSecond": count / elapsed,
        "redisCommandsPerJob": work["redisCommandsPerJob"],
    }


async def run_pipeline_bench(settings: Settings, count: int) -> dict[str, Any]:
    pool = f"bench-{secrets.token_hex(4)}"
    store = await connect(settings.model_copy(update={"pool": pool}))
    try:
        single = await core_pipeline(store, count, 1)
        await drop_pool(store)
        ours: dict[str, Any] = {**await core_pipeline(store, count, BATCH), "unbatched": single}
        url = store.url
    finally:
        await drop_pool(store)
        await store.close()
    try:
        arq: dict[str, Any] = await arq_pipeline(url, count)
    except ImportError:
        arq = {"skipped": "arq is not installed: pip install -e '.[bench]'"}
    return {"jobs": count, "workers": WORKERS, "redisUrl": url, "lcn": ours, "arq": arq}


def add_rq(report: dict[str, Any]) -> dict[str, Any]:
    report["rq"] = rq_pipeline(report.pop("redisUrl"), report["jobs"])
    for name in ("rq", "arq"):
        if "jobsPerSecond" in report[name]:
            report[f"vs{name.upper()}"] = (
                report["lcn"]["jobsPerSecond"] / report[name]["jobsPerSecond"]
            )
    return report


def render(report: dict[str, Any]) -> str:
    ours, one = report["lcn"], report["lcn"]["unbatched"]
    lines = [f"{report['jobs']} no-op jobs, submit → place → claim → complete → settle"]
    for run, how in (
        (ours, f"{WORKERS} agents, {ours['batch']} jobs per round trip"),
        (one, "one job per round trip"),
    ):
        lines.append(
            f"  lcn   {run['jobsPerSecond']:>8.0f} jobs/s   "
            f"{run['roundTripsPerJob']:.2f} round trips"
            f" and {run['redisCommandsPerJob']:.1f} Redis commands per job"
            f" ({run['callsInScriptsPerJob']:.1f} inside scripts; {how})"
        )
    for name in ("rq", "arq"):
        r = report[name]
        if "jobsPerSecond" in r:
            lines.append(
                f"  {name:<5} {r['jobsPerSecond']:>8.0f} jobs/s   "
                f"{r['redisCommandsPerJob']:.1f} Redis commands per job; batched lcn is "
                f"{report['vs' + name.upper()]:.1f}× faster"
            )
        else:
            lines.append(f"  {name:<5} {r['skipped']}")
    top = list(ours["commandsPerJob"].items())[:12]
    lines.append("  lcn batched, commands per job: " + ", ".join(f"{n} {c:g}" for n, c in top))
    return "\n".join(lines)
