"""The archive's figures for `lcn archive status`: rows, bytes on disk, oldest and newest."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.archive import schema
from core.archive.models import TableStatus
from core.archive.stream_ids import SEQ_BITS


async def table_figures(conn: AsyncConnection) -> dict[str, TableStatus]:
    figures: dict[str, TableStatus] = {}
    for name, (table, dated_by) in schema.DATED.items():
        column = table.c[dated_by]
        row = (await conn.execute(select(func.count(), func.min(column), func.max(column)))).one()
        oldest, newest = row[1], row[2]
        if dated_by == "id":  # a packed stream id: its milliseconds are the high bits
            oldest = None if oldest is None else oldest >> SEQ_BITS
            newest = None if newest is None else newest >> SEQ_BITS
        figures[name] = TableStatus(rows=row[0], oldest=oldest, newest=newest)
    return figures


async def size_bytes(conn: AsyncConnection) -> int:
    """SQLite: the whole database file (it holds only the archive). PostgreSQL: the archive's
    own tables with their indexes and TOAST, not the rest of a database it may share."""
    if conn.dialect.name == "sqlite":
        pages = (await conn.exec_driver_sql("PRAGMA page_count")).scalar_one()
        page_size = (await conn.exec_driver_sql("PRAGMA page_size")).scalar_one()
        return int(pages) * int(page_size)
    names = [schema.schema_version.name, *schema.DATED]
    total = 0
    for name in names:
        total += (
            await conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": name})
        ).scalar_one()
    return total
