"""Insert-or-ignore, so archiving the same rows again (after a crash, or twice) changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

# Rows per INSERT statement: large batches go in several statements, all in one transaction.
CHUNK_ROWS = 500


async def insert_ignore(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert rows whose key (or any unique column) is new; existing rows stay as they are.
    The caller's transaction makes the whole batch land or none of it."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing()
    for start in range(0, len(rows), CHUNK_ROWS):
        await conn.execute(statement, list(rows[start : start + CHUNK_ROWS]))


async def upsert(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    """Insert rows, replacing any row with the same `key`: for records that may come back from
    the archive, change and be archived again (a money record restored for a late webhook), so
    the archive always holds what Redis last forgot. Writing the same rows again changes nothing.
    Last write wins rather than the newest `at`: hosts' clocks may disagree, and the archiver
    writes a record only just before it removes exactly that state from Redis."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table)
    replaced = {c.name: insert.excluded[c.name] for c in table.columns if c.name not in key}
    statement = insert.on_conflict_do_update(index_elements=list(key), set_=replaced)
    for start in range(0, len(rows), CHUNK_ROWS):
        await conn.execute(statement, list(rows[start : start + CHUNK_ROWS]))
