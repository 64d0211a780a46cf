"""The journal is trimmed by default once archived and covered by a checkpoint (LCN_TRIM_JOURNAL
opts out), and a run killed anywhere never drops a posting the archive lacks or no checkpoint
covers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from core import ledger
from core.archive import Archive
from core.config import Settings
from core.provenance import posting_order
from core.store import Store
from core.swarm.archiver import Retention, archive_due, checkpoint_position
from tests.archive.finished_pool import run_jobs
from tests.archive.test_archiver import FAR, cover_all, journal_ids


@pytest.fixture
async def sqlite_archive(settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(settings)
    yield opened
    await opened.close()


def test_trimming_is_the_default_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trim_journal and Retention().trim_journal
    monkeypatch.setenv("LCN_TRIM_JOURNAL", "false")
    assert not Retention.from_settings(Settings()).trim_journal


async def test_a_run_killed_anywhere_keeps_every_unarchived_and_uncovered_posting(
    store: Store, sqlite_archive: Archive
) -> None:
    await run_jobs(store, 30, failed=3)
    await cover_all(store)
    position = await checkpoint_position(store)
    await run_jobs(store, 4)  # postings no checkpoint covers yet
    whole = await journal_ids(store)
    uncovered = [i for i in whole if posting_order(i) > posting_order(position)]
    assert uncovered
    finished = False
    kills = 0
    for steps in range(1, 2000):
        run = asyncio.create_task(archive_due(store, sqlite_archive, Retention(0, 0), now_ms=FAR))
        for _ in range(steps):  # let it get this far, then kill it
            await asyncio.sleep(0)
            if run.done():
                break
        if run.done():
            finished = True
            break
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        kills += 1
        live = set(await journal_ids(store))
        archived = {p.id for p in await sqlite_archive.list_postings(limit=10_000)}
        assert set(whole) <= live | archived, "a posting was dropped before it was archived"
        assert set(uncovered) <= live, "a posting no checkpoint covers was trimmed"
    assert finished and kills > 5
    left = await journal_ids(store)
    assert left[0] == position and set(uncovered) <= set(left)
    assert len(left) < len(whole)
    assert [p.id for p in await sqlite_archive.list_postings(limit=10_000)] == [
        i for i in whole if posting_order(i) <= posting_order(position)
    ]
    full = await ledger.check(store, full=True)
    assert full.ok and full.postings == len(whole), full.problems
