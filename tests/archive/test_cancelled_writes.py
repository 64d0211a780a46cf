"""A write to the archive cancelled at any await (the orchestrator restarting a duty, an
operator's Ctrl-C) either lands whole or not at all, and never leaves SQLite's write lock taken:
a terminated connection whose cursor outlives it (the cancelled task's traceback keeps it) stayed
a zombie holding its write transaction, and the archiver's next run waited on it for good."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator

import pytest

from core.archive import Archive
from core.archive.whole import whole
from core.config import Settings
from tests.archive.samples import job_postings, noop_job


@pytest.fixture
async def sqlite_archive(settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(settings)
    yield opened
    await opened.close()


def write_lock_free(archive: Archive) -> bool:
    probe = sqlite3.connect(str(archive.url.database), timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


async def test_a_write_cancelled_at_any_step_leaves_the_write_lock_free(
    sqlite_archive: Archive,
) -> None:
    kept: list[asyncio.Task[None]] = []  # cancelled tasks stay referenced, as owners may do
    cancelled = 0
    for steps in range(1, 60):
        batch = [p for n in range(50) for p in job_postings(steps * 100 + n, 1_000 + steps)]
        task = asyncio.create_task(sqlite_archive.put_postings(batch))
        kept.append(task)
        for _ in range(steps):
            await asyncio.sleep(0)
            if task.done():
                break
        if task.done():
            break  # a write done in `steps` turns of the loop: later steps cancel nothing
        cancelled += 1
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert write_lock_free(sqlite_archive), f"write lock left taken, cancelled at step {steps}"
        landed = {p.id for p in await sqlite_archive.list_postings(limit=100_000)}
        ids = {p.id for p in batch}
        assert ids <= landed or not ids & landed, "a batch landed in part"
    # How many turns of the event loop a write takes depends on the machine, so the loop may end
    # before one completes; what must hold is that many were cancelled and none wedged the next.
    assert cancelled > 5
    await sqlite_archive.put_postings(job_postings(1, 1))  # the next write does not wait


async def test_whole_finishes_the_work_then_raises_the_cancellation() -> None:
    finished: list[str] = []
    release = asyncio.Event()

    async def work() -> str:
        await release.wait()
        finished.append("done")
        return "done"

    task = asyncio.create_task(whole(work))
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    task.cancel()  # twice: it still waits for the work
    assert not task.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished == ["done"]


async def test_whole_returns_and_raises_like_the_work() -> None:
    async def ok() -> int:
        return 7

    async def bad() -> int:
        raise ValueError("no")

    assert await whole(ok) == 7
    with pytest.raises(ValueError, match="no"):
        await whole(bad)


async def test_reads_cancelled_at_any_step_leave_no_snapshot_that_holds_the_log(
    sqlite_archive: Archive,
) -> None:
    """A read cancelled mid-way must not keep a read transaction open: in WAL mode that would
    stop every checkpoint at its snapshot and the log would grow for as long as it lived."""
    await sqlite_archive.put_jobs([noop_job(n, 1_796_000_000_000 + n) for n in range(2000)])
    kept: list[asyncio.Task[object]] = []  # the cancelled tasks (and their tracebacks) live on
    cancelled = 0
    for steps in range(1, 80):
        task: asyncio.Task[object] = asyncio.create_task(sqlite_archive.list_jobs(limit=1000))
        kept.append(task)
        for _ in range(steps):
            await asyncio.sleep(0)
            if task.done():
                break
        if not task.done():
            cancelled += 1
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert cancelled >= 10
    await sqlite_archive.put_jobs([noop_job(9999, 1_796_000_000_000)])
    probe = sqlite3.connect(str(sqlite_archive.url.database), timeout=0, isolation_level=None)
    try:
        busy, _log, _done = probe.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        probe.close()
    assert busy == 0, "a cancelled read still holds a snapshot: the log cannot be truncated"
    assert write_lock_free(sqlite_archive)
