"""The network's health, as `lcn status` and `GET /lit-compute/health` report it."""

from __future__ import annotations

from typing import Any, Literal

from redis.exceptions import RedisError

from core.models.base import WireModel
from core.reads.batch import read
from core.reads.counts import counts_read
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
    try:
        counts = await read(store, counts_read(store))
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
    full = await out_of_memory(store)
    return Health(
        status="degraded" if full else "ok",
        reason=full,
        nodes=counts.nodes,
        jobs=counts.jobs,
        pool=store.pool,
        nodes_by_status=counts.nodes_by_status,
        jobs_by_status=counts.jobs_by_status,
    )
