"""Finished jobs that the archiver moved out of Redis, read back so that every reader (CLI, HTTP,
console) shows them exactly as live ones: the archive's codec gives back the job hash's fields
as Redis held them, and the same record codec (JobRecord) turns them into what each shows.

Every function here answers "nothing" when the pool has no archive to read (see
core/store/archive_handle.py), so callers fall back without a branch of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select

from core import blobs
from core.archive import Archive, ArchivedJob, rows, schema
from core.archive.job_codec import load_job_fields
from core.models.job import Job
from core.models.records.job import JobRecord
from core.store import Store

# Where a page of archived jobs starts: after this (created_at ms, job id), newest first.
Key = tuple[int, str]


async def archive_of(store: Store) -> Archive | None:
    return None if store.archive is None else await store.archive.get()


@dataclass(frozen=True)
class Archived:
    """An archived job as Redis held it: its hash's fields and its whole history."""

    fields: dict[str, str]
    history: list[str]

    def job(self) -> Job:
        """As the API shows a live job, marked archived; a task or result kept by CID must
        have been read back first (core/blobs.py `resolve`)."""
        shown = JobRecord.from_hash(self.fields).to_job()
        return shown.model_copy(update={"archived": True})


async def restore(archive: Archive, job: ArchivedJob) -> Archived:
    """The job's fields as Redis held them, with its large values read back from the blobs."""
    return Archived(await load_job_fields(archive, job), list(job.history))


async def find(store: Store, job_id: str) -> Archived | None:
    archive = await archive_of(store)
    if archive is None:
        return None
    found = await archive.get_job(job_id)
    return None if found is None else await restore(archive, found)


async def restored(store: Store, rows: list[ArchivedJob]) -> list[Archived]:
    """Archived rows of a page with their large values read back."""
    archive = await archive_of(store)
    if archive is None:
        return []
    return [await restore(archive, row) for row in rows]


async def shown(store: Store, rows: list[ArchivedJob]) -> list[Job]:
    """Archived rows of a page as the API shows jobs, their task and result whole."""
    found = await restored(store, rows)
    whole = await blobs.resolve_many(store, [f.fields for f in found])
    return [Archived(fields, f.history).job() for fields, f in zip(whole, found, strict=True)]


def _filtered(status: str | None, node_id: str | None) -> list[ColumnElement[bool]]:
    jobs = schema.jobs
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(jobs.c.status == status)
    if node_id is not None:
        where.append(jobs.c.node == node_id)
    return where


async def page(
    store: Store,
    *,
    status: str | None = None,
    node_id: str | None = None,
    after: Key | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[ArchivedJob]:
    """Archived jobs newest first (created_at, then id, both descending), either strictly after
    the key `after` (a cursor: stable however deep, and under concurrent archiving) or skipping
    `offset` rows. Ties on created_at are common (a batch is created in one millisecond), so the
    key carries the id too."""
    archive = await archive_of(store)
    if archive is None:
        return []
    jobs = schema.jobs
    where = _filtered(status, node_id)
    if after is not None:
        at, last_id = after
        where.append(
            or_(jobs.c.created_at < at, and_(jobs.c.created_at == at, jobs.c.id < last_id))
        )
    statement = (
        select(jobs)
        .where(*where)
        .order_by(jobs.c.created_at.desc(), jobs.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    async with archive.engine.connect() as conn:
        found = await conn.execute(statement)
        return [rows.job_from_row(row) for row in found.mappings()]


async def count(store: Store, *, status: str | None = None, node_id: str | None = None) -> int:
    archive = await archive_of(store)
    if archive is None:
        return 0
    where = _filtered(status, node_id)
    statement = select(func.count()).select_from(schema.jobs).where(*where)
    async with archive.engine.connect() as conn:
        return int((await conn.execute(statement)).scalar() or 0)


async def ids_ending(store: Store, tail: str, limit: int) -> list[str]:
    """Archived job ids that end with `tail` (an id given as the console shows it). This scans
    the ids (no index serves a suffix), so it is only for one interactive lookup."""
    archive = await archive_of(store)
    if archive is None:
        return []
    escaped = tail.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    jobs = schema.jobs
    statement = select(jobs.c.id).where(jobs.c.id.like("%" + escaped, escape="\\")).limit(limit)
    async with archive.engine.connect() as conn:
        return [str(i) for i in (await conn.execute(statement)).scalars()]
