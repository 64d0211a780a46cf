"""Queries that read the archive back."""

from __future__ import annotations

from sqlalchemy import Select, Table, select

from core.archive import schema
from core.archive.models import JobQuery
from core.archive.stream_ids import pack_stream_id


def jobs_query(query: JobQuery) -> Select[tuple[object, ...]]:
    """Newest first; each filter has an index ending in created_at, so this reads one range."""
    jobs = schema.jobs
    statement = select(jobs)
    if query.status is not None:
        statement = statement.where(jobs.c.status == query.status)
    if query.creator is not None:
        statement = statement.where(jobs.c.creator == query.creator)
    if query.node is not None:
        statement = statement.where(jobs.c.node == query.node)
    if query.before is not None:
        statement = statement.where(jobs.c.created_at < query.before)
    return statement.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(query.limit)


def stream_query(table: Table, after: str | None, limit: int) -> Select[tuple[object, ...]]:
    """Journal or audit entries in stream order, strictly after the stream id `after`."""
    statement = select(table)
    if after is not None:
        statement = statement.where(table.c.id > pack_stream_id(after))
    return statement.order_by(table.c.id).limit(limit)
