"""Reads shared by the registry, jobs and swarm: a page of a sorted-set index and a batch of
hashes, each in one pipelined round trip."""

from __future__ import annotations

from typing import Any

from core.errors import InvalidInput
from core.store.connection import Store

MAX_PAGE = 1000


def check_page(offset: int, limit: int) -> None:
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"offset must be ≥ 0 and limit between 1 and {MAX_PAGE}.")


async def zpage(
    store: Store, key: str, offset: int, limit: int, *, newest_first: bool
) -> tuple[list[str], int]:
    """One page of a sorted set's members and the set's size."""
    check_page(offset, limit)
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.zcard(key)
        if newest_first:
            pipe.zrevrange(key, offset, offset + limit - 1)
        else:
            pipe.zrange(key, offset, offset + limit - 1)
        total, members = await pipe.execute()
    return [m.decode() for m in members], int(total)


async def hashes(store: Store, keys: list[str]) -> list[dict[bytes, Any]]:
    """HGETALL of each key; missing keys come back empty."""
    async with store.redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.hgetall(key)
        rows: list[dict[bytes, Any]] = await pipe.execute()
    return rows
