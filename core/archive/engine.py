"""Which database the archive uses, and an async engine set up for it.

SQLite (the default, a file in the data dir) runs through aiosqlite, PostgreSQL through
psycopg 3; a plain `sqlite://` or `postgresql://` URL gets its async driver here, so users
write URLs as every other tool spells them.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import URL, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.config import Settings

SQLITE_FILE = "archive.sqlite3"
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
# How long a SQLite writer waits for another process's write to finish before giving up.
SQLITE_BUSY_MS = 30_000
# No archive wait is endless: a free pooled connection, a PostgreSQL row or table lock, each
# ends in an error that says what was waited for (SQLite's own is the busy timeout above).
POOL_WAIT_S = 30
PG_LOCK_WAIT_MS = 30_000
SQLITE_PAGE_BYTES = 16_384
# Execution option: the statement that opens a transaction on SQLite ("BEGIN IMMEDIATE" takes
# the write lock up front, for transactions that read before they write).
SQLITE_BEGIN = "lcn_sqlite_begin"


def archive_url(settings: Settings) -> URL:
    """The archive's URL with its async driver: LCN_ARCHIVE_URL, or SQLite in the data dir."""
    raw = settings.archive_url or f"sqlite:///{Path(settings.data_dir) / SQLITE_FILE}"
    url = make_url(raw)
    backend = url.get_backend_name()
    if backend not in ASYNC_DRIVERS:
        raise ValueError(f"the archive URL must be sqlite:// or postgresql://, not {backend}://")
    return url.set(drivername=ASYNC_DRIVERS[backend])


def open_engine(url: URL) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=POOL_WAIT_S,
        connect_args={"options": f"-c lock_timeout={PG_LOCK_WAIT_MS}"},
    )


def _sqlite_engine(url: URL) -> AsyncEngine:
    on_disk = bool(url.database) and url.database != ":memory:"
    if on_disk:
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
    # An in-memory database has a single connection (a static pool, which has no wait).
    engine = create_async_engine(url, **({"pool_timeout": POOL_WAIT_S} if on_disk else {}))

    # The sqlite3 module opens transactions itself, and not before DDL, so a migration would
    # not be atomic; take transaction control (SQLAlchemy's documented recipe for pysqlite).
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # First, so that switching to WAL below waits for another process opening the same new
        # file at once instead of failing at once with "database is locked".
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        # Large pages waste less room at each page's end on rows of a few hundred bytes;
        # it only takes effect when the file is created (before WAL is switched on).
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
        _switch_to_wal(cursor)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN, "BEGIN"))

    return engine


def _switch_to_wal(cursor: sqlite3.Cursor) -> None:
    """WAL: readers (the console, `lcn job get`) never block the archiver, nor it them.

    Switching needs the file's exclusive lock, and SQLite skips the busy handler when two
    connections race for it (to avoid a deadlock it answers "database is locked" at once), so
    processes opening a new archive together retry here, within the same busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        # Runs on aiosqlite's own thread, so sleeping does not stall the event loop.
        time.sleep(random.uniform(0.005, 0.05))
