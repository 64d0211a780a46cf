"""The orchestrator's archiver on a real Redis and a real archive: retention by age and by
count, crash safety (a kill between the archive write and the Redis removal), a job changed
meanwhile is kept, the books still check, and Redis is left with the live set only."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import jobs, ledger
from core.archive import Archive
from core.archive.job_codec import load_job_fields
from core.config import Settings
from core.events import audit
from core.provenance import posting_order
from core.store import Store, calls, connect
from core.swarm.archiver import (
    FINISHED,
    Retention,
    archive_due,
    checkpoint_position,
    covered_until,
    due_jobs,
    write_batch,
)
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from tests.archive.archiver_child import KILLED
from tests.archive.finished_pool import run_jobs
from tests.jobfactory import job_body

REPO = Path(__file__).resolve().parents[2]
FAR = 2**50  # a "now" long after every job finished
ALL = Retention(window_s=0, keep_jobs=0, prune_at_least=1)


@pytest.fixture
async def sqlite_archive(settings: Settings) -> AsyncIterator[Archive]:
    opened = await Archive.open(settings)
    yield opened
    await opened.close()


async def finished_scores(store: Store) -> dict[str, float]:
    scores: dict[str, float] = {}
    for status in FINISHED:
        found = await store.redis.zrange(
            store.keys.jobs_with_status(status), 0, -1, withscores=True
        )
        scores.update({m.decode(): s for m, s in found})
    return scores


async def cover_all(store: Store) -> set[str]:
    """Post after every finished job (a new job's hold, left live) and check the books, so a
    signed checkpoint covers every finished job's postings; returns the live jobs' ids."""
    newest = max((await finished_scores(store)).values())
    live: set[str] = set()
    while True:
        await asyncio.sleep(0.002)  # a later millisecond than the newest finish
        live.add((await jobs.submit(store, job_body(), max_attempts=3)).job_id)
        assert (await ledger.check(store)).ok
        if await covered_until(store) > newest:
            return live


async def job_keys(store: Store, job_ids: list[str]) -> list[str]:
    found = [k.decode() async for k in store.redis.scan_iter(match=store.keys.every_key)]
    return [k for k in found if any(j in k for j in job_ids)]


async def test_nothing_is_archived_before_a_checkpoint_covers_it(
    store: Store, sqlite_archive: Archive
) -> None:
    await run_jobs(store, 5)
    assert await covered_until(store) == 0
    assert (await archive_due(store, sqlite_archive, ALL, now_ms=FAR)).archived == 0


async def test_retention_by_age(store: Store, sqlite_archive: Archive) -> None:
    ids = await run_jobs(store, 40, failed=5, cancelled=5)
    await cover_all(store)
    scores = await finished_scores(store)
    middle = sorted(scores.values())[20]
    window = Retention(window_s=60, keep_jobs=1000, batch=7)  # several batches
    run = await archive_due(store, sqlite_archive, window, now_ms=int(middle) + 60_000)
    old = {i for i in ids if scores[i] < middle}
    assert 0 < len(old) < len(ids)
    assert run.archived == len(old) and run.batches == -(-len(old) // 7)
    for job_id in ids:
        archived = await sqlite_archive.get_job(job_id)
        assert (archived is not None) == (job_id in old)
        assert await store.redis.exists(store.keys.job(job_id)) == (job_id not in old)
    # Read back through the codec: the same job as Redis showed it.
    job_id = next(iter(old))
    archived = await sqlite_archive.get_job(job_id)
    assert archived is not None and archived.history
    fields = await load_job_fields(sqlite_archive, archived)
    assert fields["id"] == job_id and fields["status"] in FINISHED


async def test_retention_by_count(store: Store, sqlite_archive: Archive) -> None:
    ids = await run_jobs(store, 30)
    await cover_all(store)
    scores = await finished_scores(store)
    run = await archive_due(store, sqlite_archive, Retention(window_s=86_400, keep_jobs=12))
    assert run.archived == 18
    kept = await finished_scores(store)
    assert sorted(kept.values()) == sorted(scores.values())[-12:]  # the newest (ties either way)
    archived = {j.id for j in await sqlite_archive.list_jobs(limit=100)}
    assert archived == set(ids) - set(kept)


async def test_a_kill_between_archive_and_removal_loses_and_doubles_nothing(
    store: Store, settings: Settings, sqlite_archive: Archive
) -> None:
    ids = await run_jobs(store, 25, failed=3)
    await cover_all(store)
    env = {
        **os.environ,
        "LCN_DATA_DIR": str(settings.data_dir),
        "LCN_REDIS_URL": settings.redis_url or "",
        "LCN_POOL": settings.pool,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    child = subprocess.run(
        [sys.executable, "-m", "tests.archive.archiver_child", "10"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == KILLED, child.stderr
    status = await sqlite_archive.status()
    assert status.tables["jobs"].rows == 10
    assert len(await finished_scores(store)) == 25  # nothing removed from Redis yet

    for _ in range(2):  # rerun, and once more: nothing changes the second time
        await archive_due(store, sqlite_archive, ALL, now_ms=FAR)
        assert (await sqlite_archive.status()).tables["jobs"].rows == 25
        assert await finished_scores(store) == {}
    assert {j.id for j in await sqlite_archive.list_jobs(limit=100)} == set(ids)
    assert await job_keys(store, ids) == []


async def test_a_job_changed_between_read_and_remove_is_kept(
    store: Store, sqlite_archive: Archive
) -> None:
    ids = await run_jobs(store, 6, failed=2)
    await cover_all(store)
    due = await due_jobs(store, ALL, FAR, await covered_until(store))
    assert set(due) == set(ids)
    refs, _ = await write_batch(store, sqlite_archive, due)
    reopened = ids[0]  # failed: an operator retries it meanwhile
    assert await jobs.retry(store, reopened) in ("assigned", "pending")
    removed = await calls.archive_jobs(store, refs)
    assert set(removed) == set(ids) - {reopened}
    job = await jobs.get_job(store, reopened)
    assert job.status in ("assigned", "pending")
    assert await store.redis.exists(store.keys.job_history(reopened))
    # Removing the same batch again does nothing.
    assert await calls.archive_jobs(store, refs) == []
    assert await jobs.get_job(store, reopened) == job


async def test_books_still_check_and_only_the_live_set_stays(
    store: Store, sqlite_archive: Archive
) -> None:
    before = {k async for k in store.redis.scan_iter(match=store.keys.every_key)}
    ids = await run_jobs(store, 300, failed=20, cancelled=20)
    live = await cover_all(store)
    grown = {k async for k in store.redis.scan_iter(match=store.keys.every_key)}
    seen = await store.redis.zcard(store.keys.ledger_checkpoint_seen)
    run = await archive_due(store, sqlite_archive, ALL, now_ms=FAR)
    assert run.archived == 300
    # The run also drops the archived jobs' once-only tags, and with them the prune list.
    assert await store.redis.llen(store.keys.ledger_checkpoint_prune) == 0
    assert run.pruned_tags >= 300
    assert await store.redis.zcard(store.keys.ledger_checkpoint_seen) == seen - run.pruned_tags
    assert (await ledger.check(store)).ok
    after = {k async for k in store.redis.scan_iter(match=store.keys.every_key)}
    assert await job_keys(store, ids) == []
    # What is left is what any pool has plus the live job's own keys: no per-job key remains.
    assert {k.decode() for k in after - before} <= {k.decode() for k in grown - before}
    assert len(after) <= len(before) + 40, sorted(k.decode() for k in after - before)
    assert {m.decode() for m in await store.redis.zrange(store.keys.jobs_all, 0, -1)} == live
    idem = [k.decode() for k in await store.redis.hkeys(store.keys.ledger_idem)]
    assert all(any(j in k for j in live) for k in idem), idem
    check = await ledger.check(store)
    assert check.ok, check.problems
    # The books go on checking as new jobs run (the live ones too) and are archived.
    await run_jobs(store, 20)
    more = [
        m.decode()
        for m in await store.redis.zrange(store.keys.jobs_with_status("completed"), 0, -1)
    ]
    await cover_all(store)
    assert (await archive_due(store, sqlite_archive, ALL, now_ms=FAR)).archived == 20 + len(live)
    assert (await ledger.check(store)).ok
    assert (await sqlite_archive.status()).tables["jobs"].rows == 320 + len(live)
    assert await job_keys(store, more) == []


async def test_the_orchestrator_archives_on_postgresql_too(
    store: Store, archive_settings: Settings, settings: Settings
) -> None:
    ids = await run_jobs(store, 8)
    await cover_all(store)
    target = archive_settings.model_copy(update={"data_dir": settings.data_dir})
    target = target.model_copy(update={"retention_s": 0, "retain_jobs": 0})
    orchestrator = Orchestrator.from_settings(store, target)
    orchestrator.config = OrchestratorConfig(ledger_check_every_s=3600, archive_every_s=0)
    orchestrator.payments = None
    report = await orchestrator.tick()
    assert report.extra["archived"] == 8
    assert orchestrator.archiver is not None
    await orchestrator.archiver.close()
    async with await Archive.open(target) as archive:
        assert {j.id for j in await archive.list_jobs(limit=100)} == set(ids)


async def journal_ids(store: Store) -> list[str]:
    return [i.decode() for i, _ in await store.redis.xrange(store.keys.journal)]


async def test_journal_archived_up_to_the_checkpoint_then_trimmed_and_still_checks(
    store: Store, sqlite_archive: Archive
) -> None:
    await run_jobs(store, 30, failed=3)
    await cover_all(store)
    whole = await journal_ids(store)
    position = await checkpoint_position(store)
    trimming = Retention(window_s=0, keep_jobs=0, trim_journal=True)
    run = await archive_due(store, sqlite_archive, trimming, now_ms=FAR)
    archived = [p.id for p in await sqlite_archive.list_postings(limit=10_000)]
    assert archived == whole[: whole.index(position) + 1]  # up to the checkpoint, in order
    assert run.streams.postings == len(archived)
    left = await journal_ids(store)
    assert left[0] == position and run.streams.journal_trimmed == len(archived) - 1
    assert archived[:-1] + left == whole  # nothing lost between the archive and Redis
    check = await ledger.check(store)
    assert check.ok, check.problems
    # More postings, archived and trimmed again; a rerun copies nothing twice.
    await run_jobs(store, 10)
    await cover_all(store)
    await archive_due(store, sqlite_archive, trimming, now_ms=FAR)
    again = await archive_due(store, sqlite_archive, trimming, now_ms=FAR)
    assert again.streams.postings == 0 and again.archived == 0
    archived = [p.id for p in await sqlite_archive.list_postings(limit=10_000)]
    assert len(archived) == len(set(archived))
    assert archived[-1] == (await journal_ids(store))[0]
    check = await ledger.check(store)
    assert check.ok, check.problems


async def test_journal_is_not_trimmed_when_opted_out(store: Store, sqlite_archive: Archive) -> None:
    await run_jobs(store, 5)
    await cover_all(store)
    whole = await journal_ids(store)
    keep = Retention(window_s=0, keep_jobs=0, trim_journal=False)
    run = await archive_due(store, sqlite_archive, keep, now_ms=FAR)
    assert run.streams.postings > 0 and run.streams.journal_trimmed == 0
    assert await journal_ids(store) == whole


async def test_audit_entries_archived_and_trimmed_past_the_window(
    store: Store, sqlite_archive: Archive
) -> None:
    for n in range(12):
        await audit(store, operator="op", action="node.suspend", target=f"n{n}", outcome="ok")
    entries = [i.decode() for i, _ in await store.redis.xrange(store.keys.audit)]
    cutoff = posting_order(entries[8])[0]  # the window keeps entries from this millisecond on
    run = await archive_due(store, sqlite_archive, Retention(window_s=10), now_ms=cutoff + 10_000)
    archived = await sqlite_archive.list_audit(limit=100)
    assert [e.id for e in archived] == entries and run.streams.audit == 12
    assert archived[3].entry["target"] == "n3"
    left = [i.decode() for i, _ in await store.redis.xrange(store.keys.audit)]
    assert left == [e for e in entries if posting_order(e)[0] >= cutoff]
    again = await archive_due(store, sqlite_archive, Retention(window_s=10), now_ms=cutoff + 10_000)
    assert again.streams.audit == 0 and len(await sqlite_archive.list_audit(limit=100)) == 12


async def test_an_unreachable_archive_leaves_jobs_in_redis_and_the_tick_goes_on(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    await run_jobs(store, 3)
    await cover_all(store)
    nowhere = f"postgresql://lcn@/archive?host={tmp_path / 'no-server-here'}"
    broken = settings.model_copy(update={"archive_url": nowhere, "retention_s": 0})
    orchestrator = Orchestrator.from_settings(store, broken)
    orchestrator.config = OrchestratorConfig(ledger_check_every_s=3600, archive_every_s=0)
    report = await orchestrator.tick()
    assert report.extra["archived"] == 0
    assert len(await finished_scores(store)) == 3
    assert await store.redis.get(store.keys.lock("archiver")) is None  # free for the next run


async def test_archiving_on_a_cluster(
    cluster_url: str, pool: str, tmp_path: Path, sqlite_archive: Archive
) -> None:
    """Every key the archiver reads and the removal script touches is in the pool's one slot."""
    store = await connect(
        Settings(redis_url=cluster_url, pool=pool, redis_cluster=True, data_dir=tmp_path / "c")
    )
    try:
        ids = await run_jobs(store, 12, failed=2)
        await audit(store, operator="op", action="node.suspend", target="n", outcome="ok")
        await cover_all(store)
        trimming = Retention(window_s=0, keep_jobs=0, trim_journal=True)
        run = await archive_due(store, sqlite_archive, trimming, now_ms=FAR)
        assert run.archived == 12 and run.streams.postings > 0 and run.streams.audit == 1
        assert await finished_scores(store) == {}
        assert {j.id for j in await sqlite_archive.list_jobs(limit=100)} == set(ids)
        assert (await ledger.check(store)).ok
    finally:
        await store.close()


async def test_an_index_entry_without_a_job_does_not_block_the_archiver(
    store: Store, sqlite_archive: Archive
) -> None:
    ids = await run_jobs(store, 4)
    await cover_all(store)
    ghosts = [f"ghost{n}" for n in range(3)]
    await store.redis.zadd(store.keys.jobs_with_status("completed"), dict.fromkeys(ghosts, 1))
    await store.redis.zadd(store.keys.jobs_all, dict.fromkeys(ghosts, 1))
    run = await archive_due(
        store, sqlite_archive, Retention(window_s=0, keep_jobs=0, batch=2), now_ms=FAR
    )
    assert run.archived == 4 and run.kept == 0
    assert await finished_scores(store) == {}
    assert not set(ghosts) & {
        m.decode() for m in await store.redis.zrange(store.keys.jobs_all, 0, -1)
    }
    assert {j.id for j in await sqlite_archive.list_jobs(limit=100)} == set(ids)
