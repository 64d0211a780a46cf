"""Moving a finished job to the archive in a test, as the archiver does it: archive first (its
large values as blobs, then its row), then remove it from Redis — its hash, its history and its
entries in the job indexes — so that only the archive can answer for it."""

from __future__ import annotations

from core.archive import Archive, ArchivedJob
from core.archive.job_codec import archived_from_redis, job_blobs
from core.config import Settings
from core.models.records.fields import decode_hash
from core.store import Store


async def archive_job(store: Store, settings: Settings, job_id: str) -> ArchivedJob:
    keys = store.keys
    fields = decode_hash(await store.redis.hgetall(keys.job(job_id)))
    assert fields, f"no job {job_id} to archive"
    history = [e.decode() for e in await store.redis.lrange(keys.job_history(job_id), 0, -1)]
    row = archived_from_redis(fields, history)
    async with await Archive.open(settings) as archive:
        for cid, data in job_blobs(fields).items():
            await archive.put_blob(cid, data)
        await archive.put_jobs([row])
    await store.redis.delete(keys.job(job_id), keys.job_history(job_id))
    await store.redis.zrem(keys.jobs_all, job_id)
    await store.redis.zrem(keys.jobs_with_status(fields["status"]), job_id)
    if fields.get("node"):
        await store.redis.zrem(keys.node_history(fields["node"]), job_id)
    return row
