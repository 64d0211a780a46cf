"""The read-through queries on both archive backends (SQLite and a real PostgreSQL): a cursor
pages archived jobs exactly once each even when many share a creation millisecond, filters and
counts agree, and an id's tail is found with LIKE's wildcards taken literally."""

from __future__ import annotations

from core import archived_jobs, jobs
from core.archive import Archive
from core.archive.job_codec import archived_from_redis, job_blobs
from core.config import Settings
from core.models.records.fields import decode_hash
from core.store import connect
from tests.helpers import register_node
from tests.jobfactory import job_body

SAME_MS = 1_700_000_000_000


async def test_archived_pages_on_both_backends(
    settings: Settings, archive_settings: Settings
) -> None:
    both = settings.model_copy(
        update={"archive_url": archive_settings.archive_url, "data_dir": archive_settings.data_dir}
    )
    store = await connect(both)
    try:
        node = await register_node(store)
        made: list[str] = []
        rows = []
        for i in range(5):
            body = job_body(input={"i": i, "pad": "p" * (5000 if i == 0 else 1)})
            job_id = (await jobs.submit(store, body, max_attempts=3)).job_id
            claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30)
            assert claim is not None
            await jobs.complete(store, job_id, claim.token, duration_ms=10, output={"i": i})
            fields = decode_hash(await store.redis.hgetall(store.keys.job(job_id)))
            row = archived_from_redis(fields, [f"{SAME_MS} made {i}"])
            rows.append((row.model_copy(update={"created_at": SAME_MS}), job_blobs(fields)))
            made.append(job_id)
        async with await Archive.open(both) as archive:
            for _row, blobs in rows:
                for cid, data in blobs.items():
                    await archive.put_blob(cid, data)
            await archive.put_jobs([row for row, _ in rows])
        for job_id in made:
            await store.redis.delete(store.keys.job(job_id), store.keys.job_history(job_id))
            await store.redis.zrem(store.keys.jobs_all, job_id)

        seen: list[str] = []
        cursor = None
        while True:
            page = await jobs.list_jobs(store, archived=True, cursor=cursor, limit=2)
            assert page.total == 5 and all(j.archived for j in page.jobs)
            seen += [j.job_id for j in page.jobs]
            if (cursor := page.next_cursor) is None:
                break
        assert seen == sorted(made, reverse=True)  # ties on created_at: by id
        assert (await archived_jobs.count(store, node_id=node.node_id)) == 5
        assert (await archived_jobs.count(store, status="failed")) == 0
        big = await jobs.get_job(store, made[0])  # its task went to the blobs table
        assert big.archived and big.task.input == {"i": 0, "pad": "p" * 5000}
        assert await archived_jobs.ids_ending(store, made[3][-9:], 10) == [made[3]]
        assert await archived_jobs.ids_ending(store, "%", 10) == []
        assert await archived_jobs.ids_ending(store, "_" * 8, 10) == []
    finally:
        await store.close()
