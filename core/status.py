"""The network's health, as `lcn status` and `GET /lit-compute/health` report it."""

from __future__ import annotations

from typing import Literal

from redis.exceptions import RedisError

from core.models.base import WireModel
from core.reads.batch import ReadBatch
from core.reads.counts import counts_read
from core.reads.memory import memory_read
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
    """Counts by state in one pipelined round trip; `degraded` with the reason if Redis fails
    or is out of memory."""
    batch = ReadBatch(store)
    counts_of = batch.add(counts_read(store))
    memory = memory_read(store)
    if memory is not None:
        batch.add(memory)
    try:
        found = await batch.run()
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
    counts, full = found[counts_of], found.get(memory)
    return Health(
        status="degraded" if full else "ok",
        reason=full,
        nodes=counts.nodes,
        jobs=counts.jobs,
        pool=store.pool,
        nodes_by_status=counts.nodes_by_status,
        jobs_by_status=counts.jobs_by_status,
    )
