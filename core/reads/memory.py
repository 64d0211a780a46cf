"""Whether Redis refuses writes for lack of memory: one INFO command, read with the rest of a
poll (the triage shows it) or on its own (`/health`, `lcn status`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.reads.batch import Read, Replies, command
from core.store import Store


def out_of_memory_reason(info: Mapping[str, Any]) -> str | None:
    """Why Redis refuses writes for memory, or None: its used memory has reached its `maxmemory`
    and it may not evict (lcn's keys are state, not a cache)."""
    used, limit = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
    policy = str(info.get("maxmemory_policy", "noeviction"))
    if limit <= 0 or used < limit or policy != "noeviction":
        return None
    return (
        f"Redis is out of memory ({used / 2**20:.1f} MiB used of its {limit / 2**20:.1f} MiB "
        "maxmemory) and refuses new writes: submissions and reports fail until it has room."
    )


def memory_read(store: Store) -> Read[str | None] | None:
    """The out-of-memory reason as a named read; None on a cluster (each shard has its own
    limit). A server that does not let us read INFO is not judged: its refusal is optional."""
    if store.cluster:
        return None

    def decode(r: Replies) -> str | None:
        info = r["info"]
        return out_of_memory_reason(info) if isinstance(info, Mapping) else None

    return Read("redis_memory", {"info": command("INFO", "memory", optional=True)}, decode)
