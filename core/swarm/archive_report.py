"""What `lcn archive status` shows: the archive's size and rows, and what Redis still holds —
the oldest live finished job (the next the archiver will move) beside the oldest archived."""

from __future__ import annotations

from pydantic import Field

from core.archive import Archive, ArchiveStatus, TableStatus
from core.config import Settings
from core.models.base import WireModel
from core.store import Store
from core.swarm.archiver import FINISHED, checkpoint_position, position_ms


class LiveJob(WireModel):
    job_id: str
    status: str
    finished_at: int = Field(description="Unix ms, when it entered its final status.")


class RedisHistory(WireModel):
    finished_jobs: int = Field(description="Finished jobs still in Redis.")
    oldest_finished: LiveJob | None
    journal_entries: int
    audit_entries: int
    covered_until: int = Field(
        description="Unix ms: jobs finished before it have their postings under a signed "
        "ledger checkpoint and may be archived (0: no checkpoint yet, nothing is archived)."
    )
    used_memory_bytes: int | None = Field(description="Redis's used_memory (the whole server).")


class Retention(WireModel):
    retention_s: int
    retain_jobs: int
    trim_journal: bool


class ArchiveReport(WireModel):
    pool: str
    backend: str
    url: str
    schema_version: int
    size_bytes: int
    tables: dict[str, TableStatus]
    oldest_archived_job: int | None = Field(description="Unix ms, the oldest archived job's "
        "creation time (the archive orders jobs by it).")  # fmt: skip
    redis: RedisHistory
    retention: Retention


async def live_history(store: Store) -> RedisHistory:
    keys = [store.keys.jobs_with_status(s) for s in FINISHED]
    async with store.redis.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.zcard(key)
            pipe.zrange(key, 0, 0, withscores=True)
        pipe.xlen(store.keys.journal)
        pipe.xlen(store.keys.audit)
        replies = await pipe.execute()
    heads = [
        (score, member.decode(), status)
        for status, found in zip(FINISHED, replies[1:6:2], strict=True)
        for member, score in found
    ]
    oldest = min(heads, default=None)
    try:
        memory: int | None = int((await store.redis.info("memory"))["used_memory"])
    except Exception:  # a Redis user without INFO: the figure is left out, not the report
        memory = None
    return RedisHistory(
        finished_jobs=sum(int(n) for n in replies[0:6:2]),
        oldest_finished=None
        if oldest is None
        else LiveJob(job_id=oldest[1], status=oldest[2], finished_at=int(oldest[0])),
        journal_entries=int(replies[6]),
        audit_entries=int(replies[7]),
        covered_until=position_ms(await checkpoint_position(store)),
        used_memory_bytes=memory,
    )


async def archive_report(store: Store, settings: Settings) -> ArchiveReport:
    async with await Archive.open(settings) as archive:
        status: ArchiveStatus = await archive.status()
    return ArchiveReport(
        pool=store.pool,
        backend=status.backend,
        url=status.url,
        schema_version=status.schema_version,
        size_bytes=status.size_bytes,
        tables=status.tables,
        oldest_archived_job=status.tables["jobs"].oldest,
        redis=await live_history(store),
        retention=Retention(
            retention_s=settings.retention_s,
            retain_jobs=settings.retain_jobs,
            trim_journal=settings.trim_journal,
        ),
    )
