"""A pool that has run jobs to their end: completed, failed and cancelled, on a real node."""

from __future__ import annotations

from core import jobs
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import job_body

BIG = {"cpu": 256, "memory": 1024}


async def run_jobs(store: Store, n: int, *, failed: int = 0, cancelled: int = 0) -> list[str]:
    """Submit n jobs and finish them all (the first `failed` fail, the next `cancelled` are
    cancelled, the rest complete); returns their ids in the order they finished."""
    await register_node(store, capabilities=BIG)
    nodes = [n.decode() for n in await store.redis.zrange(store.keys.nodes_all, 0, -1)]
    for start in range(0, n, 500):
        await jobs.submit_many(
            store, [job_body() for _ in range(min(500, n - start))], max_attempts=3
        )
    done: list[str] = []
    while len(done) < n:
        await jobs.place_pending(store)
        claims = [
            claim
            for node_id in nodes  # placement may prefer any of the pool's nodes
            for claim in await jobs.claim_many(
                store, node_id, "agent-1", ["code-execution"], 30, max_jobs=200
            )
        ]
        assert claims, "the node took no job"
        completions = []
        for claim in claims:
            k = len(done)
            if k < failed:
                await jobs.fail(store, claim.job_id, claim.token, error="it broke", duration_ms=5)
            elif k < failed + cancelled:
                await jobs.cancel(store, claim.job_id)
            else:
                completions.append(jobs.Completion(claim.job_id, claim.token, 3, {"k": k}, ["ok"]))
            done.append(claim.job_id)
        await jobs.complete_many(store, completions)
    return done
