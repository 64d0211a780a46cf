"""The archive's job codec: hash → archived → hash gives back every field text for text, through
the archive's own row encoding, with large values stored once by CID."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.archive import Archive, rows
from core.archive.job_codec import (
    BLOB_BYTES,
    archived_from_redis,
    blob_refs,
    job_blobs,
    job_fields_from_archived,
    load_job_fields,
)
from core.errors import InvalidInput, NotFound
from core.ids import bytes_cid
from core.models.records.job import JobRecord
from tests.archive.samples import CREATOR, NODE, NOOP_TASK, job_id

T0 = 1_796_051_502_525
NAMES = [
    "type", "tag", "node", "agent", "task", "cpu", "mem_mb", "gpu", "created_at", "finished_at",
    "actual_cost", "result", "result_cid", "logs", "error", "held", "rate", "$blobs", "$", "$$x",
]  # fmt: skip


def _json_text(value: Any, sort: bool) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=sort)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
field_texts = st.one_of(
    st.text(),
    st.integers().map(str),
    st.sampled_from(["", "0", "-0", "007", "5.0", "1e3", "null", "[]", "{}", "-1"]),
    json_values.map(lambda v: _json_text(v, False)),
    json_values.map(lambda v: _json_text(v, True)),
    json_values.map(json.dumps),
    st.lists(st.text(), max_size=4).map(json.dumps),
    st.integers(min_value=BLOB_BYTES, max_value=3 * BLOB_BYTES).map(lambda n: "x" * n),
)
hashes = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1),
        "status": st.sampled_from(["completed", "failed", "cancelled", "pending"]),
        "creator": st.text(min_size=1),
    },
    optional={name: field_texts for name in NAMES} | {"other": st.text()},
).flatmap(lambda base: st.dictionaries(st.text(), field_texts, max_size=4).map(lambda x: x | base))


def _through_archive_row(fields: dict[str, str]) -> dict[str, str]:
    archived = archived_from_redis(fields, ["1 assigned", "2 done"])
    stored = rows.job_from_row(rows.job_row(archived))  # type: ignore[arg-type]
    assert stored.history == ["1 assigned", "2 done"]
    return job_fields_from_archived(stored, job_blobs(fields))


@settings(max_examples=400, deadline=None)
@given(hashes)
def test_hash_archived_hash_is_identical(fields: dict[str, str]) -> None:
    assert _through_archive_row(fields) == fields


def real_hash(n: int, **extra: str) -> dict[str, str]:
    """A finished no-op job's hash as the pipeline leaves it."""
    return {
        "id": job_id(n), "creator": CREATOR, "type": "data-processing", "tag": "data",
        "status": "completed", "node": NODE, "agent": "bench-1", "parent": "",
        "task": json.dumps(NOOP_TASK, separators=(",", ":")), "cpu": "1", "mem_mb": "1024",
        "gpu": "0", "timeout_s": "10", "attempts": "1", "max_attempts": "3", "gen": "1",
        "estimated_cost": "512480", "held": "0", "rate": "51248", "actual_cost": "51248",
        "node_share": "35873", "platform_share": "15375", "duration_ms": "0", "result": "0",
        "result_cid": bytes_cid(b"0"), "logs": "[]", "lease_token": "",
        "created_at": str(T0), "updated_at": str(T0 + 2), "assigned_at": str(T0),
        "started_at": str(T0 + 1), "finished_at": str(T0 + 2),
        **extra,
    }  # fmt: skip


def test_real_job_lifts_columns_and_reads_as_the_same_job() -> None:
    fields = real_hash(1, logs=json.dumps(["started", "done ✓"]), result='{"a":1,"b":[2]}')
    archived = archived_from_redis(fields, [])
    assert (archived.node, archived.created_at, archived.finished_at, archived.cost) == (
        NODE, T0, T0 + 2, 51248,
    )  # fmt: skip
    assert archived.result == {"a": 1, "b": [2]} and archived.logs == ["started", "done ✓"]
    assert archived.record["task"] == NOOP_TASK and archived.record["cpu"] == 1
    assert not {"id", "status", "node", "result", "logs", "finished_at"} & set(archived.record)
    back = job_fields_from_archived(archived)
    assert back == fields
    assert JobRecord.from_hash(back).to_job() == JobRecord.from_hash(fields).to_job()


def test_large_values_are_referenced_by_cid() -> None:
    big_task = json.dumps({**NOOP_TASK, "input": {"values": list(range(3000))}})
    big_result = _json_text({"values": list(range(3000))}, True)
    fields = real_hash(
        2, task=big_task, result=big_result, result_cid=bytes_cid(big_result.encode())
    )
    archived = archived_from_redis(fields, [])
    assert "task" not in archived.record and archived.result is None
    assert archived.record["$blobs"] == {
        "task": bytes_cid(big_task.encode()), "result": fields["result_cid"],
    }  # fmt: skip
    blobs = job_blobs(fields)
    assert set(blobs) == set(blob_refs(archived))
    with pytest.raises(NotFound, match="no blob"):
        job_fields_from_archived(archived)
    assert job_fields_from_archived(archived, blobs) == fields


def test_out_of_line_result_is_kept_only_when_it_matches_its_cid() -> None:
    fields = real_hash(3, result="", result_cid=bytes_cid(b"[1,2]"))
    assert job_blobs(fields, b"[1,2]") == {fields["result_cid"]: b"[1,2]"}
    assert job_blobs(fields, b"[1,3]") == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [({"id": ""}, "no id"), ({"status": "done"}, "no job status"), ({"creator": ""}, "no creator")],
)
def test_a_hash_that_is_no_job_is_refused(change: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        archived_from_redis(real_hash(4) | change, [])


async def test_round_trip_through_the_database(archive: Archive) -> None:
    big_task = json.dumps({**NOOP_TASK, "input": {"values": list(range(3000))}})
    fields = real_hash(5, task=big_task)
    archived = archived_from_redis(fields, ["1 assigned"])
    for cid, data in job_blobs(fields).items():
        await archive.put_blob(cid, data)
    await archive.put_jobs([archived])
    stored = await archive.get_job(archived.id)
    assert stored is not None
    assert await load_job_fields(archive, stored) == fields
