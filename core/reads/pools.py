"""Which pools exist, for the console's `:pool` (switch pool without restarting).

Listing is a SCAN over every key with a budget: there is no set of pools (every key of a pool
carries its hash tag, so such a set could not be kept by the pools' own scripts under Redis
Cluster), and a SCAN of millions of keys must not stall the console. So the listing says when
it stopped early; whether one named pool exists is exact (`pool_exists`), whatever the budget.
"""

from __future__ import annotations

import re

from pydantic import Field
from redis.asyncio import Redis

from core.config import POOL_PATTERN
from core.reads.model import Model
from core.store.keys import Keys, pool_of, pools_pattern

SCAN_COUNT = 2_000  # keys per SCAN call


class Pools(Model):
    names: list[str] = Field(description="The pools found, sorted.")
    complete: bool = Field(description="False when the scan stopped at its budget.")
    scanned: int = Field(description="Keys the scan looked at.")


async def list_pools(redis: Redis, budget: int = 100_000) -> Pools:
    """The pools whose keys a SCAN of at most about `budget` keys found."""
    found: set[str] = set()
    cursor, scanned = 0, 0
    while True:
        cursor, batch = await redis.scan(cursor, match=pools_pattern(), count=SCAN_COUNT)
        for key in batch:
            pool = pool_of(key.decode() if isinstance(key, bytes) else str(key))
            if pool is not None:
                found.add(pool)
        scanned += SCAN_COUNT
        if cursor == 0 or scanned >= budget:
            break
    return Pools(names=sorted(found), complete=cursor == 0, scanned=scanned)


async def pool_exists(redis: Redis, pool: str) -> bool:
    """Whether `pool` holds any node, job or counter: exact, one command."""
    keys = Keys(pool)
    return bool(await redis.exists(keys.nodes_all, keys.jobs_all, keys.totals))


def pool_name_problem(pool: str) -> str | None:
    """The sentence refusing a pool name no pool can have, or None."""
    if re.match(POOL_PATTERN, pool):
        return None
    return (
        f"{pool!r} is not a pool name: lower-case letters, digits, '-' and '_', "
        "starting with a letter or digit, at most 32 characters."
    )
