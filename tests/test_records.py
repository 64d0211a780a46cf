"""The record codecs read a hash the same way whichever reader holds it: HGETALL's bytes, a
decoded dict, or a Lua HMGET row (false for a missing field)."""

from __future__ import annotations

from core.models.records.job import JobRecord
from core.models.records.node import ALL_JOB_TYPES, NodeRecord
from core.money import split

JOB = {
    "id": "job1",
    "type": "code-execution",
    "status": "completed",
    "node": "node1",
    "agent": "",
    "attempts": "1",
    "max_attempts": "3",
    "estimated_cost": "2000.0",  # Lua may write a float
    "actual_cost": "1001",
    "logs": '["one", "two"]',
}


def test_bytes_text_and_lua_rows_decode_alike() -> None:
    as_bytes = {k.encode(): v.encode() for k, v in JOB.items()}
    lua_row = {**JOB, "error": False, "lease_token": None}
    first, *others = [JobRecord.from_hash(h) for h in (JOB, as_bytes, lua_row)]
    assert others == [first, first]


def test_fields_decode_to_their_types_and_defaults() -> None:
    job = JobRecord.from_hash(JOB)
    assert (job.job_id, job.job_type, job.node_id) == ("job1", "code-execution", "node1")
    assert job.agent_id is None  # Lua writes '' for "none"
    assert (job.estimated_cost, job.actual_cost, job.held) == (2000, 1001, None)
    assert job.logs == ["one", "two"]
    assert job.paid and job.lease_left(0) is None


def test_the_split_is_settlements_when_booked_else_the_same_70_30() -> None:
    assert JobRecord.from_hash(JOB).shares == split(1001)
    booked = JobRecord.from_hash({**JOB, "node_share": "700", "platform_share": "301"})
    assert booked.shares == (700, 301)
    assert JobRecord.from_hash({**JOB, "actual_cost": ""}).shares is None


def test_malformed_or_missing_fields_read_as_absent() -> None:
    node = NodeRecord.from_hash({"id": "n", "cpu": "x", "lat": "north", "runtimes": "{}"})
    assert (node.cpu, node.lat, node.runtimes) == (0, None, [])
    assert (node.status, node.sandbox, node.job_types) == ("offline", "bubblewrap", ALL_JOB_TYPES)
