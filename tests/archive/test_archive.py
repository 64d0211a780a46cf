"""The archive on SQLite and on a real PostgreSQL server: writes are idempotent, a batch lands
whole or not at all, reads give back what was written, and the figures add up."""

from __future__ import annotations

from typing import Any

import dag_cbor
import pytest
from multiformats import CID

from core.archive import Archive, ArchivedJob, Recording
from core.archive.migrations import LATEST
from core.config import Settings
from core.errors import InvalidInput
from core.ids import bytes_cid, record_cid
from tests.archive.samples import NODE, audit_entry, job_id, job_postings, noop_job, payout

T0 = 1_796_051_502_525


async def test_jobs_read_back_as_written(archive: Archive) -> None:
    job = noop_job(1, T0).model_copy(update={"logs": ["started", "done"], "result": {"sum": 3}})
    await archive.put_jobs([job])
    assert await archive.get_job(job.id) == job
    assert await archive.get_job(job_id(2)) is None


async def test_list_jobs_newest_first_with_each_filter(archive: Archive) -> None:
    other_node = record_cid({"node": 2})
    await archive.put_jobs(
        [noop_job(n, T0 + n * 10, node=NODE if n % 2 else other_node) for n in range(10)]
        + [noop_job(10, T0 + 100, status="failed"), noop_job(11, T0 + 110, status="cancelled")]
    )
    newest = await archive.list_jobs(limit=3)
    assert [j.id for j in newest] == [job_id(11), job_id(10), job_id(9)]
    assert [j.id for j in await archive.list_jobs(status="failed")] == [job_id(10)]
    on_other = await archive.list_jobs(node=other_node, limit=100)
    assert [j.id for j in on_other] == [job_id(n) for n in (8, 6, 4, 2, 0)]
    before = await archive.list_jobs(status="completed", before=T0 + 50, limit=100)
    assert [j.created_at for j in before] == [T0 + 40, T0 + 30, T0 + 20, T0 + 10, T0]
    assert await archive.list_jobs(creator="0x" + "00" * 20) == []
    assert len(await archive.list_jobs(creator=newest[0].creator, limit=100)) == 12


async def test_putting_everything_twice_changes_nothing(archive: Archive) -> None:
    jobs = [noop_job(n, T0 + n) for n in range(5)]
    postings = [p for n in range(5) for p in job_postings(n, T0 + 3 * n)]
    records = [payout(n, T0 + n) for n in range(3)]
    audit = [audit_entry(n, T0 + n) for n in range(3)]
    blob = b"a large result" * 100

    async def put_all() -> None:
        await archive.put_jobs(jobs)
        await archive.put_postings(postings)
        await archive.put_records(records)
        await archive.put_audit(audit)
        await archive.put_blob(bytes_cid(blob), blob)

    await put_all()
    first = await archive.status()
    await put_all()
    # A row already archived stays as it was, even if the re-put differs (first write wins).
    await archive.put_jobs([jobs[0].model_copy(update={"status": "failed"})])
    again = await archive.status()
    assert again.tables == first.tables
    assert {name: t.rows for name, t in again.tables.items()} == {
        "jobs": 5,
        "postings": 10,
        "money_records": 3,
        "audit": 3,
        "blobs": 1,
        "recordings": 0,
    }
    assert await archive.get_job(jobs[0].id) == jobs[0]
    assert await archive.list_postings() == postings
    assert await archive.list_audit() == audit
    assert await archive.get_record("payout", "po_1") == records[1]
    assert await archive.get_record("refund", "po_1") is None


async def test_streams_read_back_in_order_after_an_id(archive: Archive) -> None:
    postings = [p for n in range(4) for p in job_postings(n, T0 + 3 * n)]
    await archive.put_postings(reversed(postings))
    assert await archive.list_postings() == postings
    assert await archive.list_postings(after=postings[2].id, limit=3) == postings[3:6]
    assert postings[3].at == T0 + 3 + 2


async def test_blob_round_trip_by_its_cid(archive: Archive) -> None:
    data = bytes(range(256)) * 64
    cid = bytes_cid(data)
    assert CID.decode(cid).codec.name == "raw"
    await archive.put_blob(cid, data)
    assert await archive.get_blob(cid) == data
    record: dict[str, Any] = {"values": list(range(1000))}
    encoded = dag_cbor.encode(record)
    await archive.put_blob(record_cid(record), encoded)
    assert dag_cbor.decode(await archive.get_blob(record_cid(record)) or b"") == record
    assert await archive.get_blob(bytes_cid(b"never stored")) is None


async def test_blob_refused_under_a_cid_that_does_not_name_it(archive: Archive) -> None:
    with pytest.raises(InvalidInput, match="do not match"):
        await archive.put_blob(bytes_cid(b"one"), b"another")
    with pytest.raises(InvalidInput, match="not a valid CID"):
        await archive.put_blob("not-a-cid", b"x")
    assert (await archive.status()).tables["blobs"].rows == 0


async def test_recordings_are_kept_per_pool_and_read_back(archive: Archive) -> None:
    snapshot = b"compressed by the codec, stored as given" * 20
    await archive.put_recordings(
        [Recording(pool=pool, at=T0 + i, snapshot=snapshot) for i in range(3) for pool in "ab"]
    )
    assert [r.at for r in await archive.list_recordings("a", since=T0 + 1)] == [T0 + 1, T0 + 2]
    assert (await archive.list_recordings("b", until=T0 + 1))[0].snapshot == snapshot
    assert await archive.recording_times("a", since=T0 + 1, until=T0 + 2) == [T0 + 1]
    assert await archive.prune_recordings("a", T0 + 2) == 2
    assert await archive.recording_times("a") == [T0 + 2]
    assert len(await archive.recording_times("b")) == 3  # another pool's stay
    found = await archive.get_recording("b", T0)
    assert found is not None and found.snapshot == snapshot and found.keyframe is None
    assert await archive.get_recording("a", T0) is None


async def test_status_figures(archive: Archive, archive_settings: Settings) -> None:
    empty = await archive.status()
    assert empty.schema_version == LATEST
    assert empty.backend == ("postgresql" if archive_settings.archive_url else "sqlite")
    assert all(t.rows == 0 and t.oldest is None for t in empty.tables.values())
    await archive.put_jobs(noop_job(n, T0 + n) for n in range(200))
    await archive.put_postings(p for n in range(200) for p in job_postings(n, T0 + 3 * n))
    await archive.put_records([payout(1, T0 + 7), payout(2, T0 + 5)])
    await archive.put_audit([audit_entry(1, T0 + 9)])
    status = await archive.status()
    assert status.tables["jobs"].model_dump() == {"rows": 200, "oldest": T0, "newest": T0 + 199}
    assert status.tables["postings"].model_dump() == {
        "rows": 400,
        "oldest": T0,
        "newest": T0 + 3 * 199 + 2,
    }
    assert status.tables["money_records"].model_dump() == {
        "rows": 2,
        "oldest": T0 + 5,
        "newest": T0 + 7,
    }
    assert status.tables["audit"].rows == 1
    assert status.size_bytes > empty.size_bytes
    assert "password" not in status.url


async def test_a_job_record_keeps_any_json(archive: Archive) -> None:
    """Text the JSON layer must escape (quotes, NUL, non-ASCII, a lone surrogate that a JSON
    input may carry) comes back unchanged."""
    odd = 'quote " backslash \\ nul \x00 µ 😀 \ud800'
    job = noop_job(1, T0).model_copy(
        update={"record": {"odd": odd, "nested": [1, 2.5, None, {"k": odd}]}, "logs": [odd]}
    )
    await archive.put_jobs([job])
    assert await archive.get_job(job.id) == job
    record = payout(1, T0).model_copy(update={"record": {"note": odd}})
    await archive.put_records([record])
    assert await archive.get_record("payout", record.id) == record


def test_archived_job_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError):
        ArchivedJob(id="x", status="lost", creator="c", created_at=0)
