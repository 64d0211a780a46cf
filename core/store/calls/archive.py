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


class ArchivedMoneyRef(TypedDict):
    """A final money record as the archiver read and archived it: removed only if unchanged."""

    kind: str  # payout | purchase | refund | dispute
    id: str
    status: str  # the status index it was listed in
    fields: dict[str, str]  # the whole hash; {} for a listed record whose hash is gone


async def archive_money(store: Store, batch: list[ArchivedMoneyRef]) -> list[str]:
    """The records removed from Redis, as 'kind:id' (one changed since it was read, or queued
    again, is left, and not listed)."""
    if not batch:
        return []
    first = batch[0]
    removed: list[str] | dict[str, str] = await store.script(
        "archive_money",
        [store.keys.record(first["kind"], first["id"])],
        json.dumps(batch, separators=(",", ":")),
    )
    return list(removed) if isinstance(removed, list) else []


async def restore_money(store: Store, kind: str, fields: dict[str, str]) -> bool:
    """Put an archived record back into Redis; False when it was not archived (or is live)."""
    reply = await store.script(
        "restore_money",
        [store.keys.record(kind, fields.get("id", ""))],
        kind,
        json.dumps(fields, separators=(",", ":")),
    )
    return bool(reply)
