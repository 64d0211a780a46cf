"""Per-identity rate limits, counted in Redis so that every gateway shares one budget: a fixed
window per identity (one counter that expires with its window), one script call per request.

Refused credentials are counted too, per client address: past `auth_failure_limit` in a window,
every request from that address gets 429 whatever it presents, so guessing keys, tokens or
signatures learns nothing (a right guess is refused like a wrong one).
"""

from __future__ import annotations

import math

from core.gateway.config import GatewaySettings
from core.gateway.errors import RateLimited
from core.store import Store, calls


def _retry_after(ttl_ms: int) -> int:
    return max(1, math.ceil(ttl_ms / 1000))


async def count_request(
    store: Store,
    limits: GatewaySettings,
    identity: str,
    limit: int,
    client: str,
    *,
    window_s: int | None = None,
    what: str = "requests",
) -> None:
    """Count one request of `identity`; refuse with 429 and Retry-After once over `limit` in
    the window (`window_s`, else the gateway's), or while `client` is over its budget of
    refused credentials."""
    window = window_s or limits.rate_window_s
    count, ttl_ms, failures, failures_ttl_ms = await calls.count_request(
        store,
        store.keys.rate(identity),
        window * 1000,
        also_read=store.keys.auth_failures(client),
    )
    if failures > limits.auth_failure_limit:
        raise _too_many_failures(limits, failures_ttl_ms)
    if count > limit:
        retry_after = _retry_after(ttl_ms)
        raise RateLimited(
            f"Too many {what}: {limit} per {window} s are allowed; retry in {retry_after} s.",
            retry_after,
        )


async def count_failure(store: Store, limits: GatewaySettings, client: str) -> None:
    """Count refused credentials from `client`; raise 429 once that is over its budget."""
    failures, ttl_ms, _, _ = await calls.count_request(
        store, store.keys.auth_failures(client), limits.rate_window_s * 1000
    )
    if failures > limits.auth_failure_limit:
        raise _too_many_failures(limits, ttl_ms)


def _too_many_failures(limits: GatewaySettings, ttl_ms: int) -> RateLimited:
    retry_after = _retry_after(ttl_ms)
    return RateLimited(
        f"Too many refused credentials from this address: {limits.auth_failure_limit} per "
        f"{limits.rate_window_s} s are allowed; retry in {retry_after} s.",
        retry_after,
    )
