"""The archive: finished jobs and final money records, kept for good in SQLite or PostgreSQL.

Every write is idempotent (insert-or-ignore on the row's key; money records, which may be
restored and archived again, are replaced) and atomic per batch, so the
archiver can archive first, then remove from Redis: killed in between, or run twice, it leaves
the archive exactly as one clean run would.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Literal

from multiformats import CID
from sqlalchemy import URL, Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.archive import rows, schema
from core.archive.engine import archive_url, open_engine
from core.archive.migrations import current_version, migrate
from core.archive.models import (
    ArchivedJob,
    ArchiveStatus,
    AuditEntry,
    JobQuery,
    MoneyKind,
    MoneyRecord,
    Posting,
    Recording,
)
from core.archive.reads import jobs_query, stream_query
from core.archive.status import size_bytes, table_figures
from core.archive.stream_ids import unpack_stream_id
from core.archive.whole import whole
from core.archive.writes import insert_ignore, upsert
from core.config import Settings
from core.errors import InvalidInput
from core.models.job import JobStatus


class Archive:
    """One archive database; open with `await Archive.open(settings)`, close when done."""

    def __init__(self, engine: AsyncEngine, url: URL) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    async def open(cls, settings: Settings) -> Archive:
        """Connect and bring the schema up to date (safe when several processes do it at once)."""
        url = archive_url(settings)
        engine = open_engine(url)
        try:
            await migrate(engine)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, url)

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Archive:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()

    # Writes: each batch in one transaction, rows already archived left as they are; run
    # `whole` (core/archive/whole.py), so a cancelled caller never leaves the write lock taken.

    async def _put(self, table: Table, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return

        async def write() -> None:
            async with self.engine.begin() as conn:
                await insert_ignore(conn, table, batch)

        await whole(write)

    async def put_jobs(self, batch: Iterable[ArchivedJob]) -> None:
        await self._put(schema.jobs, [rows.job_row(j) for j in batch])

    async def put_postings(self, batch: Iterable[Posting]) -> None:
        await self._put(schema.postings, [rows.posting_row(p) for p in batch])

    async def put_records(self, batch: Iterable[MoneyRecord]) -> None:
        """Final money records; one archived before is replaced (it was restored for a late
        webhook, changed, and archived again: see core/archive/writes.py `upsert`)."""
        found = [rows.money_row(r) for r in batch]
        if not found:
            return

        async def write() -> None:
            async with self.engine.begin() as conn:
                await upsert(conn, schema.money_records, found, ("kind", "id"))

        await whole(write)

    async def put_audit(self, batch: Iterable[AuditEntry]) -> None:
        await self._put(schema.audit, [rows.audit_row(e) for e in batch])

    async def put_recordings(self, batch: Iterable[Recording]) -> None:
        await self._put(schema.recordings, [rows.recording_row(r) for r in batch])

    async def put_blob(self, cid: str, data: bytes) -> None:
        """Store bytes once under their CID; refuses bytes that the CID does not name."""
        await self.put_blobs({cid: data})

    async def put_blobs(self, found: dict[str, bytes]) -> None:
        """Store each value once under its CID, in one transaction; a CID already stored is
        left as it is (the same bytes), so the same input submitted twice is kept once."""
        now = int(time.time() * 1000)
        for cid, data in found.items():
            check_blob(cid, data)
        await self._put(
            schema.blobs, [{"cid": c, "stored_at": now, "data": d} for c, d in found.items()]
        )

    # Reads.

    async def get_blob(self, cid: str) -> bytes | None:
        async with self.engine.connect() as conn:
            found = await conn.execute(select(schema.blobs.c.data).where(schema.blobs.c.cid == cid))
            data = found.scalar_one_or_none()
        return None if data is None else bytes(data)

    async def get_blobs(self, cids: Iterable[str]) -> dict[str, bytes]:
        """The stored bytes of each CID found, as stored (callers check them: core/blobs)."""
        wanted = sorted(set(cids))
        if not wanted:
            return {}
        table = schema.blobs
        async with self.engine.connect() as conn:
            found = await conn.execute(
                select(table.c.cid, table.c.data).where(table.c.cid.in_(wanted))
            )
            return {str(cid): bytes(data) for cid, data in found.all()}

    async def get_job(self, job_id: str) -> ArchivedJob | None:
        async with self.engine.connect() as conn:
            found = await conn.execute(select(schema.jobs).where(schema.jobs.c.id == job_id))
            row = found.mappings().one_or_none()
        return None if row is None else rows.job_from_row(row)

    async def list_jobs(
        self,
        *,
        status: JobStatus | None = None,
        creator: str | None = None,
        node: str | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[ArchivedJob]:
        """Archived jobs newest first (by created_at), created strictly before `before` (ms)."""
        query = JobQuery.model_validate(
            {"status": status, "creator": creator, "node": node, "before": before, "limit": limit}
        )
        async with self.engine.connect() as conn:
            found = await conn.execute(jobs_query(query))
            return [rows.job_from_row(row) for row in found.mappings()]

    async def get_record(self, kind: MoneyKind, record_id: str) -> MoneyRecord | None:
        table = schema.money_records
        where = (table.c.kind == kind) & (table.c.id == record_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(table).where(where))).mappings().one_or_none()
        return None if row is None else rows.money_from_row(row)

    async def list_postings(self, *, after: str | None = None, limit: int = 1000) -> list[Posting]:
        """Journal entries in the order they were posted, after the stream id `after`."""
        async with self.engine.connect() as conn:
            found = await conn.execute(stream_query(schema.postings, after, limit))
            return [rows.posting_from_row(row) for row in found.mappings()]

    async def list_audit(self, *, after: str | None = None, limit: int = 1000) -> list[AuditEntry]:
        async with self.engine.connect() as conn:
            found = await conn.execute(stream_query(schema.audit, after, limit))
            return [rows.audit_from_row(row) for row in found.mappings()]

    async def last_stream_id(self, table: Literal["postings", "audit"]) -> str | None:
        """The newest journal (postings) or audit entry archived, as its stream id."""
        column = (schema.postings if table == "postings" else schema.audit).c.id
        async with self.engine.connect() as conn:
            found = (await conn.execute(select(func.max(column)))).scalar_one_or_none()
        return None if found is None else unpack_stream_id(int(found))

    async def list_recordings(
        self, pool: str, *, since: int = 0, until: int | None = None, limit: int = 100
    ) -> list[Recording]:
        """Pool `pool`'s recordings from `since` to before `until` (ms), oldest first."""
        table = schema.recordings
        statement = select(table).where((table.c.pool == pool) & (table.c.at >= since))
        if until is not None:
            statement = statement.where(table.c.at < until)
        async with self.engine.connect() as conn:
            found = await conn.execute(statement.order_by(table.c.at).limit(limit))
            return [rows.recording_from_row(row) for row in found.mappings()]

    async def recording_times(
        self, pool: str, *, since: int = 0, until: int | None = None, limit: int = 200_000
    ) -> list[int]:
        """When pool `pool` was recorded, oldest first: a replay's timeline (the primary key
        alone, no snapshot is read; a week at 5 s is ~121,000 times)."""
        table = schema.recordings
        statement = select(table.c.at).where((table.c.pool == pool) & (table.c.at >= since))
        if until is not None:
            statement = statement.where(table.c.at < until)
        async with self.engine.connect() as conn:
            found = await conn.execute(statement.order_by(table.c.at).limit(limit))
            return [int(at) for at in found.scalars()]

    async def get_recording(self, pool: str, at: int) -> Recording | None:
        table = schema.recordings
        where = (table.c.pool == pool) & (table.c.at == at)
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(table).where(where))).mappings().one_or_none()
        return None if row is None else rows.recording_from_row(row)

    async def prune_recordings(self, pool: str, before: int) -> int:
        """Forget pool `pool`'s recordings older than `before` (ms), and those compressed
        against a keyframe that goes (they cannot be read without it); returns how many went."""
        table = schema.recordings
        where = (table.c.pool == pool) & ((table.c.at < before) | (table.c.keyframe < before))

        async def write() -> int:
            async with self.engine.begin() as conn:
                return (await conn.execute(delete(table).where(where))).rowcount

        return await whole(write)

    async def status(self) -> ArchiveStatus:
        async with self.engine.connect() as conn:
            version = await conn.run_sync(current_version)
            tables = await table_figures(conn)
            size = await size_bytes(conn)
        return ArchiveStatus(
            backend="postgresql" if self.backend == "postgresql" else "sqlite",
            url=self.url.render_as_string(hide_password=True),
            schema_version=version,
            size_bytes=size,
            tables=tables,
        )


def check_blob(cid: str, data: bytes) -> None:
    """The archive keeps a blob only under the CID of its bytes (sha2-256 CIDs, as lcn makes)."""
    try:
        decoded = CID.decode(cid)
    except Exception as exc:  # multiformats raises several kinds for a malformed string
        raise InvalidInput(f"The blob id {cid!r} is not a valid CID.") from exc
    if decoded.hashfun.name != "sha2-256":
        raise InvalidInput(f"The blob id {cid!r} is not a sha2-256 CID.")
    if bytes(decoded.raw_digest) != hashlib.sha256(data).digest():
        raise InvalidInput(f"The blob's bytes do not match its CID {cid!r}.")
