"""The network's health, as `lcn status` and `GET /lit-compute/health` report it."""

from __future__ import annotations

from typing import Any, Literal

from redis.exceptions import RedisError

from core.models.base import WireModel
from core.models.job import JOB_STATUSES
from core.models.node import NODE_STATUSES
from core.store import Store


class Health(WireModel):
    status: Literal["ok", "degraded"]
    nodes: int
    jobs: int
    pool: str
    nodes_by_status: dict[str, int]
    jobs_by_status: dict[str, int]
    reason: str | None = None


async def out_of_memory(store: Store) -> str | None:
    """Why Redis refuses writes for memory, or None: its used memory has reached its
    `maxmemory` and it may not evict (lcn's keys are state, not a cache). A server that does
    not let us read INFO, or a cluster (each shard has its own limit), is not judged here."""
    if store.cluster:
        return None
    try:
        info: dict[str, Any] = await store.redis.info("memory")
    except (RedisError, OSError):
        return None
    used, limit = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
    policy = str(info.get("maxmemory_policy", "noeviction"))
    if limit <= 0 or used < limit or policy != "noeviction":
        return None
    return (
        f"Redis is out of memory ({used / 2**20:.1f} MiB used of its {limit / 2**20:.1f} MiB "
        "maxmemory) and refuses new writes: submissions and reports fail until it has room."
    )


async def health(store: Store) -> Health:
    """Counts by state in one pipelined round trip; `degraded` with the reason if Redis fails
    or is out of memory."""
    keys = store.keys
    try:
        async with store.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(keys.nodes_all)
            pipe.zcard(keys.jobs_all)
            for node_status in NODE_STATUSES:
                pipe.zcard(keys.nodes_with_status(node_status))
            for job_status in JOB_STATUSES:
                pipe.zcard(keys.jobs_with_status(job_status))
            counts: list[Any] = await pipe.execute()
    except (RedisError, OSError) as exc:
        return Health(
            status="degraded",
            nodes=0,
            jobs=0,
            pool=store.pool,
            nodes_by_status={},
            jobs_by_status={},
            reason=f"Redis is unreachable: {exc}",
        )
    n = len(NODE_STATUSES)
    full = await out_of_memory(store)
    return Health(
        status="degraded" if full else "ok",
        reason=full,
        nodes=int(counts[0]),
        jobs=int(counts[1]),
        pool=store.pool,
        nodes_by_status=dict(zip(NODE_STATUSES, map(int, counts[2 : 2 + n]), strict=True)),
        jobs_by_status=dict(zip(JOB_STATUSES, map(int, counts[2 + n :]), strict=True)),
    )
