"""Money records that the archiver moved out of Redis (core/swarm/archive_money.py), read back
for the readers that show or compare them: `lcn payouts/purchases/refunds` and their console
views, and reconcile. Each comes back as the hash's fields Redis held, so the same record codecs
read it; a record a script needs is restored to Redis instead (core/store/restore.py).

Every function answers "nothing" when the pool has no archive to read, as core/archived_jobs.py.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, and_, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from core.archive import Archive, schema
from core.archive.models import MoneyKind
from core.archived_jobs import archive_of
from core.store import Store

RawFields = dict[str, str]


def _fields(record: dict[str, Any]) -> RawFields:
    return {str(k): str(v) for k, v in record.items()}


def _field(archive: Archive, name: str) -> ColumnElement[Any]:
    """One field of the archived record, in SQL (the record is stored as JSON text)."""
    record = schema.money_records.c.record
    if archive.backend == "postgresql":
        extracted: ColumnElement[Any] = cast(record, JSONB)[name].astext
        return extracted
    return func.json_extract(record, f"$.{name}")


async def find(store: Store, kind: MoneyKind, record_id: str) -> RawFields | None:
    archive = await archive_of(store)
    if archive is None:
        return None
    found = await archive.get_record(kind, record_id)
    return None if found is None else _fields(found.record)


async def page(
    store: Store,
    kind: MoneyKind,
    *,
    where: dict[str, str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[RawFields]:
    """Archived records of a kind newest first (by their last change, then id), whose fields
    equal `where` (status, node)."""
    archive = await archive_of(store)
    if archive is None:
        return []
    table = schema.money_records
    match = [table.c.kind == kind] + [_field(archive, k) == v for k, v in (where or {}).items()]
    statement = (
        select(table.c.record)
        .where(and_(*match))
        .order_by(table.c.at.desc(), table.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    async with archive.engine.connect() as conn:
        found = (await conn.execute(statement)).scalars()
        return [_fields(_json(text)) for text in found]


async def since(store: Store, kind: MoneyKind, since_ms: int) -> list[RawFields]:
    """Archived records of a kind created since `since_ms` (a record's last change is never
    before its creation, so the time index narrows the scan)."""
    archive = await archive_of(store)
    if archive is None:
        return []
    table = schema.money_records
    statement = select(table.c.record).where(table.c.kind == kind, table.c.at >= since_ms)
    async with archive.engine.connect() as conn:
        found = [_fields(_json(text)) for text in (await conn.execute(statement)).scalars()]
    return [f for f in found if int(f.get("created_at") or 0) >= since_ms]


def _json(text: str) -> dict[str, Any]:
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}
