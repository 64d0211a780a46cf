"""The migration runner: an empty database gets exactly schema.py's tables, running it again
(or from several processes at once) changes nothing, and a failed migration leaves no trace."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import Connection, insert, inspect, select, text

from core.archive import Archive, schema
from core.archive import migrations as migrations_module
from core.archive.engine import archive_url, open_engine
from core.archive.migrations import LATEST, MIGRATIONS, ArchiveTooNew, Migration, migrate
from core.config import Settings
from tests.archive.samples import noop_job

# Every version this lcn knows (numbers are assigned per feature, so there may be gaps).
APPLIED = [m.version for m in MIGRATIONS]


def _shape(conn: Connection) -> dict[str, Any]:
    """Tables, their columns and their indexes as the database reports them."""
    found = inspect(conn)
    return {
        table: {
            "columns": sorted(c["name"] for c in found.get_columns(table)),
            "indexes": sorted(str(i["name"]) for i in found.get_indexes(table)),
        }
        for table in found.get_table_names()
    }


def _described() -> dict[str, Any]:
    return {
        table.name: {
            "columns": sorted(c.name for c in table.columns),
            "indexes": sorted(str(i.name) for i in table.indexes),
        }
        for table in schema.metadata.sorted_tables
    }


async def _versions(archive: Archive) -> list[int]:
    async with archive.engine.connect() as conn:
        rows = await conn.execute(select(schema.schema_version.c.version))
        return sorted(rows.scalars())


async def test_an_empty_database_gets_the_described_schema(archive: Archive) -> None:
    async with archive.engine.connect() as conn:
        assert await conn.run_sync(_shape) == _described()
    assert await _versions(archive) == APPLIED


async def test_migrating_again_changes_nothing(
    archive: Archive, archive_settings: Settings
) -> None:
    job = noop_job(1, 1_796_051_502_525)
    await archive.put_jobs([job])
    assert await migrate(archive.engine) == LATEST
    async with await Archive.open(archive_settings) as reopened:
        assert await _versions(reopened) == APPLIED
        assert await reopened.get_job(job.id) == job


async def test_processes_opening_a_new_archive_at_once_migrate_it_once(
    archive_settings: Settings,
) -> None:
    opened = await asyncio.gather(*(Archive.open(archive_settings) for _ in range(8)))
    try:
        assert await _versions(opened[0]) == APPLIED
    finally:
        for archive in opened:
            await archive.close()


async def test_a_failing_migration_leaves_the_previous_version(
    archive: Archive, archive_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_done(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        conn.execute(text("ALTER TABLE jobs ADD COLUMN half_done INTEGER"))
        raise RuntimeError("the migration broke halfway")

    broken = Migration(LATEST + 1, "breaks halfway", half_done)
    monkeypatch.setattr(migrations_module, "MIGRATIONS", (*migrations_module.MIGRATIONS, broken))
    monkeypatch.setattr(migrations_module, "LATEST", LATEST + 1)
    with pytest.raises(RuntimeError, match="halfway"):
        await Archive.open(archive_settings)
    assert await _versions(archive) == APPLIED
    async with archive.engine.connect() as conn:
        assert await conn.run_sync(_shape) == _described()


async def test_an_archive_from_a_newer_lcn_is_refused(
    archive: Archive, archive_settings: Settings
) -> None:
    async with archive.engine.begin() as conn:
        await conn.execute(
            insert(schema.schema_version).values(version=99, applied_at=0, description="future")
        )
    with pytest.raises(ArchiveTooNew, match="version 99"):
        await Archive.open(archive_settings)


async def test_version_1_recordings_become_keyed_by_pool(archive_settings: Settings) -> None:
    """An archive made before version 2 (recordings keyed by time alone) gets the pool column."""
    engine = open_engine(archive_url(archive_settings))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(schema.schema_version.create)
            await conn.run_sync(MIGRATIONS[0].apply)
            await conn.execute(
                insert(schema.schema_version).values(version=1, applied_at=0, description="v1")
            )
            columns = await conn.run_sync(
                lambda c: sorted(col["name"] for col in inspect(c).get_columns("recordings"))
            )
        assert columns == ["at", "snapshot"]
        assert await migrate(engine) == LATEST
        async with engine.connect() as conn:
            assert await conn.run_sync(_shape) == _described()
    finally:
        await engine.dispose()
