"""The archiver, a duty of the orchestrator: finished jobs older than the retention window (or
beyond the newest LCN_RETAIN_JOBS finished ones, whichever comes first) move from Redis to the
archive, in batches.

Crash-safe by order: a batch is written to the archive first (idempotent: a row already there
stays as it is), then removed from Redis by one script (`archive_jobs.lua`) that forgets a job
only if it is still in the state that was read (same status and updated_at). Killed between
the two, the next run writes the same rows again (no change) and removes them; a job reopened
meanwhile (a retry) is left in Redis, its archived row is the history of its earlier run and the
next run after it finishes again writes nothing new for it (first write wins) — see README.

Which jobs are due: the status indexes (`jobs:status:completed|failed|cancelled`) are scored by
when a job moved into them, which for a finished job is when it finished, so they are the index
by finish time. Only jobs whose ledger postings a signed checkpoint already covers are archived
(finished before the checkpoint's journal position): the ledger check proves each posting
against its job's record when it replays it, and from a checkpoint on it never replays older
postings again.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from core import ledger_checkpoint as checkpoints
from core.archive import Archive, ArchivedJob
from core.archive.job_codec import archived_from_redis, job_blobs
from core.config import Settings
from core.errors import InvalidInput
from core.provenance import posting_order
from core.store import Store, calls
from core.store.calls import ArchivedJobRef
from core.swarm.archive_money import MoneyRun, archive_money
from core.swarm.archive_streams import StreamRun, archive_streams

log = logging.getLogger("lcn.archiver")

FINISHED = ("completed", "failed", "cancelled")
BATCH = 500
MAX_BATCHES = 20  # per run, so one run never holds the archiver lock for long
# Jobs one removal script forgets: a batch is written to the archive at once, but removed from
# Redis in parts, so no single script holds Redis for long (500 jobs took 30–90 ms).
REMOVE_CHUNK = 100
_ASSIGNED = re.compile(r"^\d+ assigned to (\S+)$")


@dataclass(frozen=True)
class Retention:
    window_s: int = 3600
    keep_jobs: int = 100_000
    batch: int = BATCH
    trim_journal: bool = True  # LCN_TRIM_JOURNAL; see core/swarm/archive_streams.py
    prune_at_least: int = checkpoints.PRUNE_MIN  # removed jobs whose tags are dropped together

    @classmethod
    def from_settings(cls, settings: Settings) -> Retention:
        return cls(
            window_s=settings.retention_s,
            keep_jobs=settings.retain_jobs,
            trim_journal=settings.trim_journal,
        )


@dataclass
class ArchiveRun:
    archived: int = 0  # written to the archive and removed from Redis
    kept: int = 0  # read but left in Redis (changed meanwhile, not finished, parent still open)
    batches: int = 0
    skipped: list[str] = field(default_factory=list)  # ids the codec refused
    streams: StreamRun = field(default_factory=StreamRun)
    money: MoneyRun = field(default_factory=MoneyRun)
    pruned_tags: int = 0  # once-only tags of removed jobs dropped from the checkpoint's set


def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


async def checkpoint_position(store: Store) -> str:
    """The journal id the newest trusted ledger checkpoint reached ('' when there is none)."""
    snap = await checkpoints.snapshot(store)
    found, _why = checkpoints.verify(snap, checkpoints.signing_key(store.data_dir), store.pool)
    return found.position if found is not None else ""


def position_ms(position: str) -> int:
    """Unix ms before which every posting is covered by a checkpoint at `position` (0: none, so
    nothing may be archived yet)."""
    return posting_order(position)[0] if position else 0


async def covered_until(store: Store) -> int:
    return position_ms(await checkpoint_position(store))


async def due_jobs(store: Store, retention: Retention, now_ms: int, covered_ms: int) -> list[str]:
    """Up to `retention.batch` finished jobs due for the archive, oldest finish first."""
    limit = retention.batch
    cutoff = min(now_ms - retention.window_s * 1000, covered_ms)
    keys = [store.keys.jobs_with_status(s) for s in FINISHED]
    async with store.redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.zcard(key)
            pipe.zrangebyscore(key, "-inf", f"({cutoff}", start=0, num=limit, withscores=True)
        replies = await pipe.execute()
    total = sum(int(n) for n in replies[0::2])
    due: dict[bytes, float] = {m: s for found in replies[1::2] for m, s in found}
    excess = min(total - retention.keep_jobs, limit)
    if excess > 0:
        async with store.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.zrange(key, 0, excess - 1, withscores=True)
            oldest = sorted((s, m) for found in await pipe.execute() for m, s in found)[:excess]
        due.update({m: s for s, m in oldest if s < covered_ms})
    ordered = sorted(due.items(), key=lambda item: item[1])[:limit]
    return [_text(m) for m, _ in ordered]


async def write_batch(
    store: Store, archive: Archive, job_ids: list[str]
) -> tuple[list[ArchivedJobRef], ArchiveRun]:
    """Read the jobs and write them (with their large values) to the archive; returns what to
    remove from Redis, as read. Nothing in Redis changes here."""
    run = ArchiveRun()
    async with store.redis.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hgetall(store.keys.job(job_id))
            pipe.lrange(store.keys.job_history(job_id), 0, -1)
        replies = await pipe.execute()
    read: list[tuple[dict[str, str], list[str]]] = []
    refs: list[ArchivedJobRef] = []
    for job_id, raw, history in zip(job_ids, replies[0::2], replies[1::2], strict=True):
        fields = {_text(k): _text(v) for k, v in raw.items()}
        if fields.get("status") in FINISHED:
            read.append((fields, [_text(line) for line in history]))
        elif not fields:  # listed, but no hash: its stale index entries go
            refs.append({"id": job_id, "status": "", "updated_at": "", "gen": 0, "nodes": []})
        else:
            run.kept += 1  # reopened since it was listed
    open_parents = await _open_parents(store, [f.get("parent", "") for f, _ in read])
    large = await _large_results(store, [f for f, _ in read])
    jobs: list[ArchivedJob] = []
    blobs: dict[str, bytes] = {}
    for fields, history in read:
        if fields.get("parent") in open_parents:
            run.kept += 1  # a shard stays while its parent may still reduce its output
            continue
        result = large.get(fields.get("result_cid", ""))
        try:
            job = archived_from_redis(fields, history, result)
        except InvalidInput as exc:
            log.error("job %s cannot be archived: %s", fields.get("id"), exc)
            run.skipped.append(fields.get("id", ""))
            continue
        jobs.append(job)
        blobs.update(job_blobs(fields, result))
        refs.append(_ref(fields, history))
    for cid, data in blobs.items():
        await archive.put_blob(cid, data)
    await archive.put_jobs(jobs)
    return refs, run


def _ref(fields: dict[str, str], history: list[str]) -> ArchivedJobRef:
    nodes = {fields["node"]} if fields.get("node") else set()
    nodes.update(m[1] for line in history if (m := _ASSIGNED.match(line)))
    try:
        gen = int(fields.get("gen") or 0)
    except ValueError:
        gen = 0
    return {
        "id": fields["id"],
        "status": fields["status"],
        "updated_at": fields.get("updated_at", ""),
        "gen": gen,
        "nodes": sorted(nodes),
    }


async def _open_parents(store: Store, parents: list[str]) -> set[str]:
    wanted = sorted({p for p in parents if p})
    if not wanted:
        return set()
    async with store.redis.pipeline(transaction=False) as pipe:
        for parent in wanted:
            pipe.hget(store.keys.job(parent), "status")
        statuses: list[Any] = await pipe.execute()
    return {p for p, s in zip(wanted, statuses, strict=True) if s and _text(s) not in FINISHED}


async def _large_results(store: Store, read: list[dict[str, str]]) -> dict[str, bytes]:
    """Results kept out of the hash (`blob:<cid>`, too large to inline), by CID."""
    cids = sorted({f["result_cid"] for f in read if not f.get("result") and f.get("result_cid")})
    if not cids:
        return {}
    found = await store.redis.mget([store.keys.blob(cid) for cid in cids])
    return {cid: data for cid, data in zip(cids, found, strict=True) if data is not None}


async def archive_due(
    store: Store, archive: Archive, retention: Retention, *, now_ms: int | None = None
) -> ArchiveRun:
    """Archive what is due, a batch at a time (at most MAX_BATCHES in one run): finished jobs,
    final money records (core/swarm/archive_money.py), then the journal and audit streams."""
    total = ArchiveRun()
    position = await checkpoint_position(store)
    covered = position_ms(position)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    for _ in range(MAX_BATCHES if covered else 0):
        ids = [i for i in await due_jobs(store, retention, now, covered) if i not in total.skipped]
        if not ids:
            break
        refs, run = await write_batch(store, archive, ids)
        removed = [
            job_id
            for start in range(0, len(refs), REMOVE_CHUNK)
            for job_id in await calls.archive_jobs(store, refs[start : start + REMOVE_CHUNK])
        ]
        stale = sum(1 for ref in refs if not ref["status"])
        total.batches += 1
        total.archived += len(removed)
        total.kept += run.kept + len(refs) - stale - len(removed)
        total.skipped += run.skipped
        if not removed and not stale:
            break  # nothing moved: what is left waits (a parent, a change); the next run
    # Also after a run that removed nothing: a prune cut short by a check goes on here.
    total.pruned_tags = await checkpoints.prune(
        store, checkpoints.signing_key(store.data_dir), at_least=retention.prune_at_least
    )
    total.money = await archive_money(
        store,
        archive,
        cutoff_ms=min(now - retention.window_s * 1000, covered),
        batch=retention.batch,
        max_batches=MAX_BATCHES,
    )
    total.streams = await archive_streams(
        store,
        archive,
        journal_upto=position,
        audit_before_ms=now - retention.window_s * 1000,
        trim_journal=retention.trim_journal,
    )
    return total


class ArchiverDuty:
    """The orchestrator's archiver: opens the archive on its first run and keeps it open."""

    def __init__(self, settings: Settings, retention: Retention | None = None) -> None:
        self.settings = settings
        self.retention = retention or Retention.from_settings(settings)
        self._archive: Archive | None = None

    async def run(self, store: Store) -> ArchiveRun:
        if self._archive is None:
            self._archive = await Archive.open(self.settings)
        done = await archive_due(store, self._archive, self.retention)
        if done.archived:
            log.info("archived %d finished jobs in %d batches", done.archived, done.batches)
        return done

    async def close(self) -> None:
        if self._archive is not None:
            await self._archive.close()
            self._archive = None
