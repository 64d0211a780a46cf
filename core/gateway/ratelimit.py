"""Per-identity rate limits, counted in Redis so that every gateway shares one budget: a fixed
window per identity (one counter that expires with its window), one script call per request."""

from __future__ import annotations

import math

from core.gateway.errors import RateLimited
from core.store import Store


async def count_request(store: Store, identity: str, limit: int, window_s: int) -> None:
    """Count one request of `identity`; refuse with 429 and Retry-After once over `limit`."""
    count, ttl_ms = await store.script(
        "count_request", [f"{store.keys.prefix}rate:{identity}"], window_s * 1000
    )
    if int(count) > limit:
        retry_after = max(1, math.ceil(int(ttl_ms) / 1000))
        raise RateLimited(
            f"Too many requests: {limit} per {window_s} s are allowed; retry in {retry_after} s.",
            retry_after,
        )
