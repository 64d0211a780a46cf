"""The ledger checkpoint's set of once-only tags (`ledger:checkpoint:seen`) stays the size of
what Redis still holds: a job's hold tags go once the archiver has removed the job (nothing can
post for it again; the archiver re-signs the checkpoint without them, no check needed), and
nothing else goes, so a copied hold and settlement is still caught."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core import ledger
from core import ledger_checkpoint as checkpoints
from core.archive import Archive
from core.config import Settings
from core.store import Store
from core.swarm.archiver import Retention, archive_due
from tests.archive.finished_pool import run_jobs
from tests.archive.test_archiver import FAR, cover_all
from tests.forgery import forge

TRIM = Retention(window_s=0, keep_jobs=0, trim_journal=True, prune_at_least=1)


@pytest.fixture
async def sqlite_archive(settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(settings)
    yield opened
    await opened.close()


async def seen(store: Store) -> int:
    return int(await store.redis.zcard(store.keys.ledger_checkpoint_seen))


async def copy_of(store: Store, job_id: str) -> list[str]:
    """Write a second copy of a job's hold and settlement straight into the journal."""
    entries = await store.redis.xrange(store.keys.journal)
    copied = []
    for _, fields in entries:
        if fields[b"ref"].decode() == job_id:
            legs = [tuple(leg) for leg in json.loads(fields[b"legs"])]
            copied.append(
                await forge(store, fields[b"idem"].decode(), fields[b"kind"].decode(), job_id, legs)
            )
    return copied


async def test_the_seen_set_stays_bounded_over_many_checkpoints(
    store: Store, sqlite_archive: Archive
) -> None:
    peaks: list[int] = []
    sizes: list[int] = []
    for _ in range(8):
        await run_jobs(store, 30, failed=2)
        await cover_all(store)
        peaks.append(await seen(store))  # the 30 jobs' closed holds, checked, not yet archived
        run = await archive_due(store, sqlite_archive, TRIM, now_ms=FAR)
        assert run.archived >= 30
        # The archiver drops their tags itself, without waiting for the next check.
        assert await store.redis.llen(store.keys.ledger_checkpoint_prune) == 0
        assert run.pruned_tags >= 30
        sizes.append(await seen(store))
        assert (await ledger.check(store)).ok
    # 240 jobs ran and were archived; the set holds at most one round's, never the total.
    live = await store.redis.zcard(store.keys.jobs_all)
    assert all(30 <= peak <= 40 for peak in peaks), peaks
    assert max(sizes) <= 2 * live, (sizes, live)
    full = await ledger.check(store, full=True)
    assert full.ok and full.postings >= 480, full.problems


async def test_tags_wait_for_enough_removed_jobs_to_be_dropped_together(
    store: Store, sqlite_archive: Archive
) -> None:
    """Each prune re-signs the whole checkpoint, so removed jobs' tags wait for a few of them."""
    batched = Retention(window_s=0, keep_jobs=0, trim_journal=True, prune_at_least=50)
    await run_jobs(store, 30)
    await cover_all(store)
    before = await seen(store)
    run = await archive_due(store, sqlite_archive, batched, now_ms=FAR)
    assert run.archived >= 30 and run.pruned_tags == 0
    assert await store.redis.llen(store.keys.ledger_checkpoint_prune) == run.archived
    assert await seen(store) == before
    assert (await ledger.check(store)).ok  # a check does not prune, and the books still check
    await run_jobs(store, 30)
    await cover_all(store)
    run = await archive_due(store, sqlite_archive, batched, now_ms=FAR)
    assert run.pruned_tags >= 60
    assert await store.redis.llen(store.keys.ledger_checkpoint_prune) == 0
    assert (await ledger.check(store)).ok


async def test_the_set_shrinks_between_checks_and_a_check_racing_a_prune_still_saves(
    store: Store, sqlite_archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run_jobs(store, 40)
    await cover_all(store)
    await run_jobs(store, 10)
    before = await checkpoints.snapshot(store)
    # While the next check replays, the archiver removes jobs and re-signs the checkpoint
    # without their tags: the check's work is still good, so it is saved on top of that.
    real_write = checkpoints.write
    pruned_meanwhile: list[int] = []

    async def archive_then_write(*args: Any, **kwargs: Any) -> bool:
        monkeypatch.setattr(checkpoints, "write", real_write)  # the prune writes for real
        run = await archive_due(store, sqlite_archive, TRIM, now_ms=FAR)
        pruned_meanwhile.append(run.pruned_tags)
        return await real_write(*args, **kwargs)

    monkeypatch.setattr(checkpoints, "write", archive_then_write)
    result = await ledger.check(store)
    monkeypatch.undo()
    assert result.ok and result.checkpoint_written, result.problems
    assert pruned_meanwhile[0] >= 40
    after = await checkpoints.snapshot(store)
    newest, why = checkpoints.verify(after, checkpoints.signing_key(store.data_dir), store.pool)
    assert newest is not None, why
    assert newest.seq == int(json.loads(before.body)["seq"]) + 2  # the prune's, then the check's
    assert newest.position == after.last_id  # the check's replay reached the journal's end
    assert after.seen_count == newest.seen_count < before.seen_count + 10
    again = await ledger.check(store)
    assert again.ok and again.replayed == 0, again.problems


async def test_a_job_still_in_redis_keeps_its_tags_and_a_copy_is_caught(
    store: Store, sqlite_archive: Archive
) -> None:
    [job_id] = await run_jobs(store, 1)
    await cover_all(store)
    before = await seen(store)
    # Someone lists a live job for pruning: the prune keeps its tags (the job is in Redis).
    listed = [f"{job_id}:0", "junk", f"{job_id}:1"]
    await store.redis.rpush(store.keys.ledger_checkpoint_prune, *listed)
    assert await checkpoints.prune(store, checkpoints.signing_key(store.data_dir), at_least=1) == 0
    assert await seen(store) == before
    assert await store.redis.llen(store.keys.ledger_checkpoint_prune) == 0
    assert (await ledger.check(store)).ok
    await copy_of(store, job_id)
    result = await ledger.check(store)
    assert not result.proven
    assert any(f"job {job_id} was already held" in u.reason for u in result.unproven)


async def test_a_copy_of_an_archived_jobs_postings_is_caught(
    store: Store, sqlite_archive: Archive
) -> None:
    [job_id] = await run_jobs(store, 1)
    await cover_all(store)
    await archive_due(store, sqlite_archive, TRIM, now_ms=FAR)
    assert (await ledger.check(store)).ok  # its tags are pruned now
    assert await store.redis.exists(store.keys.job(job_id)) == 0
    [archived] = [p for p in await sqlite_archive.list_postings(limit=100) if p.ref == job_id][:1]
    legs = [(a, b, int(x), k) for a, b, x, k in archived.legs]
    await forge(store, archived.idem, archived.kind, job_id, legs)
    result = await ledger.check(store)
    assert not result.proven
    assert any(f"no job {job_id} exists" in u.reason for u in result.unproven)
