"""`lcn bench ledger`: what the books check costs at 10k and at 1M postings, in the same run.

Each size gets a throwaway pool holding a journal of real-shaped work: every job has its record,
its node's history entry, its hold and its settlement (70/30, the rest back to the creator),
over a fixed fleet of nodes and creators, so the check proves every posting as it does on a live
pool. Per size it times one full check (`--full`: the whole journal, the old cost), then, a few
times, posts a fixed number of new postings and times the ordinary check, which begins at the
last signed checkpoint. The ratio of that check at the largest size to the smallest is the
figure that matters: a check costs what was posted since the last one, not the journal's size.
"""

from __future__ import annotations

import json
import secrets
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from core import ledger
from core.config import Settings
from core.devkit.bench.fleet import drop_pool
from core.devkit.bench.scheduler import settle
from core.store import Store, connect

NODES = 50
CREATORS = 200
SEED_BATCH = 2000  # jobs per pipelined round trip while seeding
Leg = tuple[str, str, int, str]


@dataclass
class Seeder:
    """Writes jobs as the job scripts would have: record, history, hold, settlement."""

    store: Store
    made: int = 0
    balances: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    earnings: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def node(self, i: int) -> str:
        return f"bafybench{i:06d}"

    def creator(self, i: int) -> str:
        return "0x" + f"{i:040x}"

    async def fleet(self) -> None:
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for i in range(NODES):
                node_id = self.node(i)
                pipe.hset(self.store.keys.node(node_id), mapping={"id": node_id, "earnings": 0})
                pipe.zadd(self.store.keys.nodes_all, {node_id: i})
            await pipe.execute()

    async def jobs(self, count: int) -> None:
        """`count` jobs, two postings each."""
        keys = self.store.keys
        for start in range(0, count, SEED_BATCH):
            async with self.store.redis.pipeline(transaction=False) as pipe:
                for _ in range(min(SEED_BATCH, count - start)):
                    n = self.made
                    self.made += 1
                    job_id = f"bj{n:09d}"
                    node_id = self.node(n % NODES)
                    creator = self.creator(n % CREATORS)
                    held = 51_000 * (10 + n % 50)
                    cost = held * (1 + n % 7) // 10
                    earned = cost * 70 // 100
                    pipe.hset(
                        keys.job(job_id),
                        mapping={
                            "id": job_id,
                            "creator": creator,
                            "node": node_id,
                            "gen": 0,
                            "status": "completed",
                            "estimated_cost": held,
                            "actual_cost": cost,
                            "node_share": earned,
                        },
                    )
                    pipe.zadd(keys.node_history(node_id), {job_id: n})
                    hold: list[Leg] = [(f"creator:{creator}", "escrow", held, "hold")]
                    settle: list[Leg] = [
                        ("escrow", f"node:{node_id}", earned, "earn"),
                        ("escrow", "platform", cost - earned, "fee"),
                        ("escrow", f"creator:{creator}", held - cost, "release"),
                    ]
                    for idem, kind, legs in (
                        (f"hold:{job_id}:0", "hold", hold),
                        (f"settle:{job_id}:0", "settle", settle),
                    ):
                        pipe.xadd(
                            keys.journal,
                            {"idem": idem, "kind": kind, "ref": job_id, "legs": json.dumps(legs)},
                        )
                        for source, target, amount, _ in legs:
                            self.balances[source] -= amount
                            self.balances[target] += amount
                    self.earnings[node_id] += earned
                await pipe.execute()
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hset(keys.balances, mapping=dict(self.balances))
            for node_id, earned in self.earnings.items():
                pipe.hset(keys.node(node_id), "earnings", earned)
            await pipe.execute()


async def _timed_check(store: Store, *, full: bool = False) -> tuple[float, ledger.LedgerCheck]:
    await settle(store)  # an AOF rewrite after seeding would be measured too
    t0 = time.perf_counter()
    result = await ledger.check(store, full=full)
    elapsed = time.perf_counter() - t0
    if not result.ok:
        raise RuntimeError("The bench's books failed their check: " + " ".join(result.problems))
    return elapsed, result


async def bench_size(settings: Settings, postings: int, delta: int, rounds: int) -> dict[str, Any]:
    pool = f"bench-{secrets.token_hex(4)}"
    store = await connect(settings.model_copy(update={"pool": pool}))
    try:
        seeder = Seeder(store)
        await seeder.fleet()
        t0 = time.perf_counter()
        await seeder.jobs(postings // 2)
        seed_s = time.perf_counter() - t0
        full_s, full = await _timed_check(store, full=True)
        times: list[float] = []
        replayed = 0
        for _ in range(rounds):
            await seeder.jobs(max(1, delta // 2))
            elapsed, result = await _timed_check(store)
            times.append(elapsed)
            replayed = result.replayed
        return {
            "postings": full.postings,
            "accounts": full.accounts,
            "seedSeconds": seed_s,
            "fullCheckSeconds": full_s,
            "newPostingsPerCheck": replayed,
            "checkSeconds": statistics.median(times),
            "checkSecondsAll": times,
        }
    finally:
        await drop_pool(store)
        await store.close()


async def run_ledger_bench(
    settings: Settings, sizes: list[int], delta: int, rounds: int
) -> dict[str, Any]:
    results = [await bench_size(settings, size, delta, rounds) for size in sorted(sizes)]
    base, top = results[0], results[-1]
    return {
        "sizes": results,
        "nodes": NODES,
        "creators": CREATORS,
        "checkRatio": top["checkSeconds"] / base["checkSeconds"],
        "fullCheckRatio": top["fullCheckSeconds"] / base["fullCheckSeconds"],
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"ledger check: {report['nodes']} nodes, {report['creators']} creators; "
        "each check after a signed checkpoint",
        f"{'postings':>10} {'full check':>11} {'new postings':>13} {'check (median)':>15}",
    ]
    for row in report["sizes"]:
        lines.append(
            f"{row['postings']:>10,} {row['fullCheckSeconds'] * 1000:>9.1f}ms "
            f"{row['newPostingsPerCheck']:>13,} {row['checkSeconds'] * 1000:>13.1f}ms"
        )
    first, last = report["sizes"][0], report["sizes"][-1]
    lines.append(
        f"check at {last['postings']:,} / at {first['postings']:,}: "
        f"{report['checkRatio']:.2f}x (full replay: {report['fullCheckRatio']:.1f}x)"
    )
    return "\n".join(lines)
