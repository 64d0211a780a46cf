"""Schema versions and the small runner that applies them, in one transaction under a lock.

Why not alembic: it wants an ini file, an env.py and a script directory shipped as package
data, runs synchronously (an async app wraps it in run_sync anyway), and brings Mako along —
all for a handful of tables that only ever grow. Here a migration is a numbered Python function
given a connection; `schema_version` records each one applied. `migrate` takes a lock first
(PostgreSQL: a transaction-scoped advisory lock; SQLite: BEGIN IMMEDIATE), so several hosts or
processes opening the archive at once apply each version exactly once, and a migration that
fails leaves the database at the version before it (both backends have transactional DDL).

To change the schema: add the next `Migration` with explicit DDL (ALTER TABLE, CREATE INDEX …),
then change schema.py to match; version 1 must keep creating the version-1 tables, so freeze
their description here before altering them in schema.py. tests/archive checks that migrating
an empty database gives exactly the tables schema.py describes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    LargeBinary,
    MetaData,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from core.archive import schema
from core.archive.engine import SQLITE_BEGIN
from core.errors import LcnError

# pg_advisory_xact_lock's key: any constant that no other tool in the same database uses.
MIGRATION_LOCK = 0x6C636E_A4C4  # "lcn", "arch(ive)"


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


# Version 1's recordings table, frozen here since version 2 replaced it (schema.py).
_v1_metadata = MetaData()
_V1_RECORDINGS = Table(
    "recordings",
    _v1_metadata,
    Column("at", schema.RowKey, primary_key=True, autoincrement=False),
    Column("snapshot", LargeBinary, nullable=False),
)


def _v1(conn: Connection) -> None:
    tables = [schema.metadata.tables[name] for name in schema.DATED if name != "recordings"]
    schema.metadata.create_all(conn, tables=tables, checkfirst=False)
    _V1_RECORDINGS.create(conn, checkfirst=False)


def _v2(conn: Connection) -> None:
    """Recordings keyed by pool and time. Nothing wrote version 1's table (recording came
    with this version), so it is replaced rather than copied."""
    _V1_RECORDINGS.drop(conn)
    schema.recordings.create(conn, checkfirst=False)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "jobs, postings, money records, audit, blobs, recordings", _v1),
    Migration(2, "recordings keyed by pool and time", _v2),
)
LATEST = MIGRATIONS[-1].version


class ArchiveTooNew(LcnError):
    """The archive was migrated by a newer lcn than this one."""


def current_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, schema.schema_version.name):
        return 0
    return int(conn.execute(select(func.max(schema.schema_version.c.version))).scalar() or 0)


def _apply_pending(conn: Connection) -> int:
    schema.schema_version.create(conn, checkfirst=True)
    version = current_version(conn)
    if version > LATEST:
        raise ArchiveTooNew(
            f"The archive is at schema version {version}, newer than this lcn knows ({LATEST}); "
            "upgrade lcn."
        )
    for migration in MIGRATIONS:
        if migration.version > version:
            migration.apply(conn)
            conn.execute(
                insert(schema.schema_version).values(
                    version=migration.version,
                    applied_at=int(time.time() * 1000),
                    description=migration.description,
                )
            )
            version = migration.version
    return version


async def migrate(engine: AsyncEngine) -> int:
    """Bring the archive to the latest schema version; returns that version."""
    async with engine.connect() as conn:
        await conn.execution_options(**{SQLITE_BEGIN: "BEGIN IMMEDIATE"})
        async with conn.begin():
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            return await conn.run_sync(_apply_pending)
