"""API keys, SSH keys and rate limits."""

from __future__ import annotations

from typing import NamedTuple

from core.store.calls.reply import whole
from core.store.connection import Store


async def create_api_key(
    store: Store, name: str, digest: str, key_id: str, creator: str, now_ms: int
) -> None:
    await store.script(
        "create_api_key", [store.keys.apikeys], name, digest, key_id, creator, now_ms
    )


async def revoke_api_key(store: Store, name: str) -> None:
    await store.script("revoke_api_key", [store.keys.apikeys], name)


async def add_ssh_key(
    store: Store, name: str, fingerprint: str, role: str, public_key: str, now_ms: int
) -> None:
    await store.script(
        "add_ssh_key", [store.keys.ssh_keys], name, fingerprint, role, public_key, now_ms
    )


async def revoke_ssh_key(store: Store, name: str) -> str:
    """The revoked key's fingerprint."""
    fingerprint = await store.script("revoke_ssh_key", [store.keys.ssh_keys], name)
    return fingerprint.decode() if isinstance(fingerprint, bytes) else str(fingerprint)


class RequestCount(NamedTuple):
    """A counter after one more request, and a second counter read alongside (0 without)."""

    hits: int
    ttl_ms: int
    other: int
    other_ttl_ms: int


async def count_request(
    store: Store, counter: str, window_ms: int, *, also_read: str | None = None
) -> RequestCount:
    """Count one request on `counter` (a rate key) within `window_ms`; read `also_read` too."""
    keys = [counter] if also_read is None else [counter, also_read]
    count, ttl, other, other_ttl = await store.script("count_request", keys, window_ms)
    return RequestCount(whole(count), whole(ttl), whole(other), whole(other_ttl))
