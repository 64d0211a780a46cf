"""The archiver: forget what it has written to the archive."""

from __future__ import annotations

import json
from typing import TypedDict

from core.store.connection import Store


class ArchivedJobRef(TypedDict):
    """A finished job as the archiver read it: removed only if it is still so."""

    id: str
    status: str
    updated_at: str
    gen: int
    nodes: list[str]  # every node whose history lists the job


async def archive_jobs(store: Store, batch: list[ArchivedJobRef]) -> list[str]:
    """The ids removed from Redis (a job changed since it was read is left, and not listed)."""
    if not batch:
        return []
    removed: list[str] | dict[str, str] = await store.script(
        "archive_jobs", [store.keys.job(batch[0]["id"])], json.dumps(batch, separators=(",", ":"))
    )
    return list(removed) if isinstance(removed, list) else []  # cjson encodes {} for no ids
