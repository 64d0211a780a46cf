"""`lcn bench scheduler`: placements per second and latency at several fleet sizes, against
the naive algorithm of the network's first version on the same data in the same run.

The naive baseline is the integration plan's `selectOptimalNode`: read every active node
(SMEMBERS, then one GET per node, pipelined as its Promise.all was), filter and score in the
client, write the choice. Ours is one script call per submission that creates the job, reads a
bounded slice of the capability index and assigns it."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

from core import jobs
from core.config import Settings
from core.devkit.bench.fleet import drop_pool, import_fleet
from core.models.job import SubmitJob
from core.money import MAX_MICRO
from core.payments.credit import CreditPolicy
from core.store import Store, connect

CREATOR = "0x" + "be" * 20
CONCURRENCY = 16
# The bench's one creator is billed on account with the credit check on, so every placement
# pays for reading the balance as a real one does.
BENCH_CREDIT = CreditPolicy(payments_on=False, debt_limit=MAX_MICRO - 1)


def _job() -> SubmitJob:
    return SubmitJob.model_validate(
        {
            "creatorPKP": CREATOR,
            "task": {
                "type": "code-execution",
                "code": "1",
                "language": "python",
                "requirements": {"cpu": 1, "memory": 1, "timeout": 10},
            },
        }
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def settle(store: Store) -> None:
    """Wait out the server's background work (an AOF rewrite after a big seed, lazy freeing of
    the previous size's pool), so each size measures placement and nothing else."""
    for _ in range(600):
        persistence = await store.redis.info("persistence")
        memory = await store.redis.info("memory")
        busy = (
            int(persistence.get("aof_rewrite_in_progress", 0))
            or int(persistence.get("rdb_bgsave_in_progress", 0))
            or int(memory.get("lazyfree_pending_objects", 0))
        )
        if not busy:
            return
        await asyncio.sleep(0.1)


async def measure_ours(store: Store, placements: int) -> dict[str, float]:
    body = _job()
    await settle(store)
    for _ in range(200):  # warm up: connection pool, script cache, CPU caches
        await jobs.submit(store, body, max_attempts=3, credit=BENCH_CREDIT)
    latencies: list[float] = []
    # Sequential: the latency of one placement, end to end, from this client.
    for _ in range(placements):
        t0 = time.perf_counter()
        await jobs.submit(store, body, max_attempts=3, credit=BENCH_CREDIT)
        latencies.append(time.perf_counter() - t0)
    # Concurrent: several submissions in flight from the same client process.
    t0 = time.perf_counter()
    per_worker = placements // CONCURRENCY

    async def worker() -> None:
        for _ in range(per_worker):
            await jobs.submit(store, body, max_attempts=3, credit=BENCH_CREDIT)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    concurrent_s = time.perf_counter() - t0
    return {
        "placementsPerSecond": placements / sum(latencies),
        "placementsPerSecondConcurrent": per_worker * CONCURRENCY / concurrent_s,
        "p50Ms": percentile(latencies, 0.50) * 1000,
        "p99Ms": percentile(latencies, 0.99) * 1000,
    }


async def measure_scheduler_pass(store: Store, node_count: int, placements: int) -> float:
    """The orchestrator's placement pass: jobs already waiting (submitted before any node
    existed), placed by `place_pending` in batches. Returns placements per second."""
    body = _job()
    for start in range(0, placements, CONCURRENCY * 8):
        batch = min(CONCURRENCY * 8, placements - start)
        await asyncio.gather(
            *(jobs.submit(store, body, max_attempts=3, credit=BENCH_CREDIT) for _ in range(batch))
        )
    await import_fleet(store, node_count)
    placed = 0
    t0 = time.perf_counter()
    while placed < placements:
        done = await jobs.place_pending(store, limit=500, credit=BENCH_CREDIT)
        if done == 0:
            break
        placed += done
    return placed / (time.perf_counter() - t0)


async def seed_naive(store: Store, node_ids: list[str]) -> None:
    """The same fleet as the first version stored it: one JSON document per node."""
    naive = store.keys.naive
    for start in range(0, len(node_ids), 1000):
        chunk = node_ids[start : start + 1000]
        async with store.redis.pipeline(transaction=False) as pipe:
            for node_id in chunk:
                pipe.hmget(
                    store.keys.node(node_id), "cpu", "memory_mb", "gpu", "reputation", "price_cpu"
                )
            rows = await pipe.execute()
        async with store.redis.pipeline(transaction=False) as pipe:
            for node_id, (cpu, mem, gpu, rep, price) in zip(chunk, rows, strict=True):
                doc = {
                    "nodeId": node_id,
                    "status": "active",
                    "capabilities": {
                        "cpu": int(cpu),
                        "memory": int(mem) // 1024,
                        "gpu": gpu == b"1",
                    },
                    "reputation": int(float(rep)),
                    "pricing": {"cpuPerSecond": int(price) / 1e6},
                }
                pipe.set(naive("node:" + node_id), json.dumps(doc))
                pipe.sadd(naive("nodes:active"), node_id)
            await pipe.execute()


async def naive_place(store: Store, requirements: dict[str, Any]) -> str:
    naive = store.keys.naive
    ids = await store.redis.smembers(naive("nodes:active"))
    async with store.redis.pipeline(transaction=False) as pipe:
        for node_id in ids:
            pipe.get(naive("node:" + node_id.decode()))
        docs = await pipe.execute()
    nodes = [json.loads(d) for d in docs if d]
    capable = [
        n
        for n in nodes
        if n["capabilities"]["cpu"] >= requirements["cpu"]
        and n["capabilities"]["memory"] >= requirements["memory"]
        and (not requirements["gpu"] or n["capabilities"]["gpu"])
        and n["status"] == "active"
    ]
    best = max(
        capable,
        key=lambda n: n["reputation"] / 100 * 0.7 + (1 / n["pricing"]["cpuPerSecond"]) * 0.3,
    )
    job_id = secrets.token_hex(8)
    await store.redis.set(naive("job:" + job_id), json.dumps({"assignedNodeId": best["nodeId"]}))
    best["lastSeen"] = time.time()
    await store.redis.set(naive("node:" + best["nodeId"]), json.dumps(best))
    return str(best["nodeId"])


async def measure_naive(store: Store, placements: int) -> dict[str, float]:
    req = {"cpu": 1, "memory": 1, "gpu": False}
    latencies = []
    for _ in range(placements):
        t0 = time.perf_counter()
        await naive_place(store, req)
        latencies.append(time.perf_counter() - t0)
    return {
        "placementsPerSecond": placements / sum(latencies),
        "p50Ms": percentile(latencies, 0.50) * 1000,
        "p99Ms": percentile(latencies, 0.99) * 1000,
        "placementsMeasured": placements,
    }


async def bench_size(settings: Settings, nodes: int, placements: int) -> dict[str, Any]:
    pool = f"bench-{secrets.token_hex(4)}"
    store = await connect(replace_pool(settings, pool))
    try:
        t0 = time.perf_counter()
        pass_rate = await measure_scheduler_pass(store, nodes, placements)
        seed_s = time.perf_counter() - t0
        ours = await measure_ours(store, placements)
        ours["schedulerPassPerSecond"] = pass_rate
        ids = [m.decode() for m in await store.redis.zrange(store.keys.nodes_all, 0, -1)]
        await seed_naive(store, ids)
        # The naive scan is slow by design: measure enough of it to be fair, not all of it.
        naive_count = max(3, min(placements, 500_000 // nodes))
        naive = await measure_naive(store, naive_count)
        return {
            "nodes": nodes,
            "seedSeconds": round(seed_s, 2),
            "ours": ours,
            "naive": naive,
            "speedup": ours["placementsPerSecond"] / naive["placementsPerSecond"],
        }
    finally:
        await drop_pool(store)
        await store.close()


def replace_pool(settings: Settings, pool: str) -> Settings:
    return settings.model_copy(update={"pool": pool})


async def run_scheduler_bench(
    settings: Settings, sizes: list[int], placements: int
) -> dict[str, Any]:
    results = [await bench_size(settings, n, placements) for n in sizes]
    report: dict[str, Any] = {
        "placements": placements,
        "concurrency": CONCURRENCY,
        "sizes": results,
    }
    if len(results) > 1:
        first, last = results[0], results[-1]
        report["costGrowth"] = {
            "from": first["nodes"],
            "to": last["nodes"],
            "p50Ratio": last["ours"]["p50Ms"] / first["ours"]["p50Ms"],
            "throughputRatio": first["ours"]["placementsPerSecond"]
            / last["ours"]["placementsPerSecond"],
        }
    return report


def render(report: dict[str, Any]) -> str:
    lines = [
        f"{'nodes':>8} {'pass/s':>8} {'submit/s':>9} {'x16':>6} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'naive/s':>9} {'naive p50':>9} {'speedup':>9}"
    ]
    for r in report["sizes"]:
        o, n = r["ours"], r["naive"]
        lines.append(
            f"{r['nodes']:>8} {o['schedulerPassPerSecond']:>8.0f} {o['placementsPerSecond']:>9.0f} "
            f"{o['placementsPerSecondConcurrent']:>6.0f} {o['p50Ms']:>7.3f} {o['p99Ms']:>7.3f}"
            f" {n['placementsPerSecond']:>9.1f} {n['p50Ms']:>9.2f} {r['speedup']:>8.0f}x"
        )
    growth = report.get("costGrowth")
    if growth:
        lines.append(
            f"cost at {growth['to']} nodes vs {growth['from']}: p50 ×{growth['p50Ratio']:.2f}, "
            f"throughput ×{1 / growth['throughputRatio']:.2f}"
        )
    return "\n".join(lines)
