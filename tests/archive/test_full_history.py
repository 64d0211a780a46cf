"""`lcn ledger check --full` verifies the whole history once the journal is archived and trimmed:
the archived postings merged with the live journal, each counted once, against the balances in
Redis and the signed checkpoint. A changed, missing or extra posting anywhere is found."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, select, update

from core import ledger
from core.archive import Archive, schema
from core.archive.rows import posting_from_row, posting_row
from core.archive.stream_ids import pack_stream_id
from core.config import Settings
from core.store import Store
from core.swarm.archiver import Retention, archive_due
from tests.archive.finished_pool import run_jobs
from tests.archive.test_archiver import FAR, cover_all, journal_ids

TRIM = Retention(window_s=0, keep_jobs=0, trim_journal=True)


@pytest.fixture
async def sqlite_archive(settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(settings)
    yield opened
    await opened.close()


async def archived_and_trimmed(store: Store, archive: Archive) -> list[str]:
    """Jobs run, checked, archived and the journal trimmed; returns every posting's id."""
    await run_jobs(store, 20, failed=2)
    await cover_all(store)
    whole = await journal_ids(store)
    await archive_due(store, archive, TRIM, now_ms=FAR)
    assert (await journal_ids(store))[0] != whole[0], "the journal was not trimmed"
    return whole


async def rewrite(archive: Archive, posting_id: str, change: dict[str, object]) -> None:
    """Change an archived posting in place, as someone with write access to the database."""
    table = schema.postings
    key = pack_stream_id(posting_id)
    async with archive.engine.begin() as conn:
        row = (await conn.execute(select(table).where(table.c.id == key))).mappings().one()
        changed = posting_from_row(row).model_copy(update=change)
        body = posting_row(changed)["body"]
        await conn.execute(update(table).where(table.c.id == key).values(body=body))


async def test_full_check_passes_after_archiving_and_trimming(
    store: Store, sqlite_archive: Archive
) -> None:
    whole = await archived_and_trimmed(store, sqlite_archive)
    result = await ledger.check(store, full=True)
    assert result.ok, result.problems
    assert result.full_history and result.postings == len(whole)
    # Every posting once: the archived ones and the journal's, the overlap counted once.
    live = await journal_ids(store)
    assert result.archived == len(whole) - len(live) + 1  # the checkpoint's entry is in both
    assert result.from_checkpoint  # archived postings are vouched for by the chain
    # Read in batches (a few postings at a time here), the overlap still counted once.
    small = await ledger.check(store, full=True, chunk=3)
    assert small.ok and small.postings == len(whole) and small.archived == result.archived
    # The chain goes on: an incremental check after it and another full one agree.
    assert (await ledger.check(store)).ok
    assert (await ledger.check(store, full=True)).ok


async def test_a_changed_archived_posting_is_found(store: Store, sqlite_archive: Archive) -> None:
    whole = await archived_and_trimmed(store, sqlite_archive)
    await rewrite(sqlite_archive, whole[1], {"ref": "someone-else"})
    result = await ledger.check(store, full=True)
    assert not result.ok
    assert any("not the ones it signed" in p for p in result.problems), result.problems
    # Nothing is signed over a history that disagrees: the finding stays.
    assert not result.checkpoint_written
    assert not (await ledger.check(store, full=True)).ok


async def test_a_changed_amount_in_the_archive_is_found(
    store: Store, sqlite_archive: Archive
) -> None:
    whole = await archived_and_trimmed(store, sqlite_archive)
    [posting] = await sqlite_archive.list_postings(limit=1)
    assert posting.id == whole[0]
    legs = [[a, b, amount + 1, kind] for a, b, amount, kind in posting.legs]
    await rewrite(sqlite_archive, posting.id, {"legs": legs})
    problems = " ".join((await ledger.check(store, full=True)).problems)
    assert "differ from what it signed" in problems
    assert "differ from the full history (archive and journal)" in problems


async def test_a_posting_missing_from_the_archive_is_found(
    store: Store, sqlite_archive: Archive
) -> None:
    whole = await archived_and_trimmed(store, sqlite_archive)
    async with sqlite_archive.engine.begin() as conn:
        table = schema.postings
        await conn.execute(delete(table).where(table.c.id == pack_stream_id(whole[2])))
    result = await ledger.check(store, full=True)
    assert result.postings == len(whole) - 1
    assert any("1 missing" in p for p in result.problems), result.problems


async def test_a_posting_the_journal_lost_or_changed_is_found(
    store: Store, sqlite_archive: Archive
) -> None:
    await archived_and_trimmed(store, sqlite_archive)
    live = await journal_ids(store)
    archived = [p.id for p in await sqlite_archive.list_postings(limit=10_000)]
    overlap = [i for i in live if i in archived]
    assert overlap  # the checkpoint's own entry stays in Redis
    entry = overlap[0]
    [(_, fields)] = await store.redis.xrange(store.keys.journal, min=entry, max=entry)
    await rewrite(sqlite_archive, entry, {"ref": "changed"})
    problems = " ".join((await ledger.check(store, full=True)).problems)
    assert f"differ from the journal's copy, e.g. {entry}" in problems
    assert json.loads(fields[b"legs"])  # the journal's copy is what counts


async def test_a_balance_that_differs_from_the_full_history_is_found(
    store: Store, sqlite_archive: Archive
) -> None:
    await archived_and_trimmed(store, sqlite_archive)
    await store.redis.hincrby(store.keys.balances, "platform", 7)
    await store.redis.hincrby(store.keys.balances, "world", -7)  # still sums to 0
    result = await ledger.check(store, full=True)
    assert result.balanced and not result.journal_matches_balances
    assert "2 account balances differ from the full history" in " ".join(result.problems)


async def test_without_a_trusted_checkpoint_trimmed_postings_are_not_vouched_for(
    store: Store, sqlite_archive: Archive
) -> None:
    await archived_and_trimmed(store, sqlite_archive)
    await store.redis.hset(store.keys.ledger_checkpoint, "sig", "0" * 64)
    result = await ledger.check(store)
    assert result.full_history and not result.ok and not result.checkpoint_written
    assert any("no trusted checkpoint vouches" in p for p in result.problems), result.problems


async def test_a_trimmed_journal_without_its_archive_is_not_signed_over(
    store: Store, sqlite_archive: Archive
) -> None:
    await archived_and_trimmed(store, sqlite_archive)
    assert store.archive is not None
    await store.archive.close()  # the archive cannot be read from here now
    result = await ledger.check(store, full=True)
    assert not result.ok and not result.checkpoint_written
    assert any("the archive cannot be read" in p for p in result.problems), result.problems
    assert (await ledger.check(store, full=True, archive=sqlite_archive)).ok


async def test_a_full_check_while_the_archiver_trims_finds_nothing_wrong(
    store: Store, sqlite_archive: Archive
) -> None:
    await archived_and_trimmed(store, sqlite_archive)
    await run_jobs(store, 20)
    await cover_all(store)
    before = await journal_ids(store)
    result, _ = await asyncio.gather(
        ledger.check(store, full=True, chunk=2),
        archive_due(store, sqlite_archive, TRIM, now_ms=FAR),
    )
    assert (await journal_ids(store))[0] != before[0], "the archiver trimmed nothing meanwhile"
    assert result.ok, result.problems


async def test_a_posting_deleted_from_the_journal_is_found(
    store: Store, sqlite_archive: Archive
) -> None:
    await archived_and_trimmed(store, sqlite_archive)
    await run_jobs(store, 2)
    # Deleted after the checkpoint, never archived, and its money put back by hand: only the
    # journal's own count of what was ever added says something is gone.
    newest, fields = (await store.redis.xrevrange(store.keys.journal, count=1))[0]
    for source, target, amount, _ in json.loads(fields[b"legs"]):
        await store.redis.hincrby(store.keys.balances, source, amount)
        await store.redis.hincrby(store.keys.balances, target, -amount)
    await store.redis.xdel(store.keys.journal, newest)
    problems = (await ledger.check(store, full=True)).problems
    assert any("1 posting left the journal" in p for p in problems), problems
