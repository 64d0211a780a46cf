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


async def health(store: Store) -> Health:
    """Counts by state in one pipelined round trip; `degraded` with the reason if Redis fails."""
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
    return Health(
        status="ok",
        nodes=int(counts[0]),
        jobs=int(counts[1]),
        pool=store.pool,
        nodes_by_status=dict(zip(NODE_STATUSES, map(int, counts[2 : 2 + n]), strict=True)),
        jobs_by_status=dict(zip(JOB_STATUSES, map(int, counts[2 + n :]), strict=True)),
    )
