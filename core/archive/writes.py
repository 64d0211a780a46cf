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
