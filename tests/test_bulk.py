"""Bulk retry and cancel (core.bulk) on the real test Redis: every matching job goes through the
per-job action with one audit entry of its own, the filter's other fields narrow it, refusals
are counted with the first reason, and the bounds hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core import bulk, events, jobs
from core.errors import InvalidInput
from core.models.job import SubmitJob
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body

OTHER = "0x" + "cd" * 20
BIG = {"cpu": 64, "memory": 256}


def body_of(creator: str, **task: object) -> SubmitJob:
    return SubmitJob.model_validate({"creatorPKP": creator, "task": job_body(**task).task.wire()})


async def submit(store: Store, creator: str, n: int, **task: object) -> list[str]:
    return [
        (await jobs.submit(store, body_of(creator, **task), max_attempts=3)).job_id
        for _ in range(n)
    ]


async def audit_of(store: Store, count: int) -> list[dict[str, str]]:
    return list(reversed(await events.recent_audit(store, count + 5)))[-count:]


async def test_cancel_all_of_one_creator_leaves_the_others_jobs(store: Store) -> None:
    mine = await submit(store, CREATOR.upper().replace("0X", "0x"), 3)  # stored lower-cased
    others = await submit(store, OTHER, 2)
    assert {(await jobs.get_job(store, j)).status for j in mine + others} == {"pending"}
    flt = bulk.JobFilter(status="pending", creator=CREATOR.upper().replace("0X", "0x"))
    found = await bulk.find(store, flt)
    # Only that creator's (oldest first; jobs made in the same millisecond tie, so as a set).
    assert sorted(found.ids) == sorted(mine) and not found.more
    outcome = await bulk.cancel_all(store, "alice", flt)
    assert (outcome.matched, outcome.done, outcome.refused) == (3, 3, 0)
    assert outcome.sentence() == f"3 of 3 pending jobs of creator {CREATOR} cancelled."
    assert {(await jobs.get_job(store, j)).status for j in mine} == {"cancelled"}
    assert {(await jobs.get_job(store, j)).status for j in others} == {"pending"}
    audit = await audit_of(store, 3)
    assert [(a["action"], a["target"], a["outcome"], a["operator"]) for a in audit] == [
        ("job.cancel", j, "ok", "alice") for j in found.ids
    ]
    assert len(await events.recent_audit(store, 50)) == 3  # one entry per job, no summary


async def test_retry_all_counts_refusals_with_the_first_reason(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With payments off, each retry takes a fresh hold within LCN_CREDIT_LIMIT: the third
    does not fit, is refused and audited so, and the others are retried all the same."""
    await register_node(store, capabilities=BIG)
    held = await submit(store, CREATOR, 3, requirements={"timeout": 3})
    cancelled = await bulk.cancel_all(store, "alice", bulk.JobFilter(status="assigned"))
    assert (cancelled.done, cancelled.released) == (3, 3 * 153_000)
    assert "$0.46 of holds released" in cancelled.sentence()
    monkeypatch.setenv("LCN_CREDIT_LIMIT", "0.4")  # room for two holds of $0.153
    outcome = await bulk.retry_all(store, "bob", bulk.JobFilter(status="cancelled"))
    assert (outcome.matched, outcome.done, outcome.refused) == (3, 2, 1)
    assert outcome.first_refusal and "debt limit" in outcome.first_refusal
    assert "2 of 3 cancelled jobs retried; 1 refused (first: " in outcome.sentence()
    states = {j: (await jobs.get_job(store, j)).status for j in held}
    assert sorted(states.values()) == ["assigned", "assigned", "cancelled"]
    audit = await audit_of(store, 3)
    assert {a["target"] for a in audit} == set(held)
    assert {(a["action"], a["outcome"], states[a["target"]]) for a in audit} == {
        ("job.retry", "ok", "assigned"),
        ("job.retry", "refused", "cancelled"),
    }
    wire = outcome.wire()
    assert wire["done"] == 2 and wire["refused"] == 1 and wire["filter"]["status"] == "cancelled"


async def test_the_filter_narrows_by_type_and_node_and_the_limit_bounds(store: Store) -> None:
    node = await register_node(store, capabilities={**BIG, "models": ["iris-classifier"]})
    code = await submit(store, CREATOR, 3, requirements={"timeout": 3})
    model = await submit(store, CREATOR, 1, type="model-inference", modelId="iris-classifier",
                         code=None)  # fmt: skip
    assert (await jobs.get_job(store, model[0])).assigned_node_id == node.node_id
    on_node = bulk.JobFilter(status="assigned", node_id=node.node_id, job_type="code-execution")
    every = (await bulk.find(store, on_node)).ids
    assert sorted(every) == sorted(code)
    two = await bulk.find(store, on_node, limit=2)
    assert two.ids == every[:2] and two.more
    outcome = await bulk.cancel_all(store, "alice", on_node, limit=2)
    assert (outcome.done, outcome.more) == (2, True)
    assert outcome.sentence().endswith("more may match: run it again for the rest.")
    assert (await jobs.get_job(store, every[2])).status == "assigned"
    assert (await jobs.get_job(store, model[0])).status == "assigned"


async def test_refusals_before_anything_is_done(store: Store) -> None:
    await submit(store, CREATOR, 1)
    with pytest.raises(
        InvalidInput, match="Retry applies to failed or cancelled jobs, not pending"
    ):
        await bulk.retry_all(store, "alice", bulk.JobFilter(status="pending"))
    with pytest.raises(InvalidInput, match="Cancel applies to pending or assigned or running"):
        await bulk.cancel_all(store, "alice", bulk.JobFilter(status="failed"))
    with pytest.raises(InvalidInput, match="between 1 and 10,000"):
        await bulk.find(store, bulk.JobFilter(status="pending"), limit=0)
    with pytest.raises(ValidationError, match="0x followed by 40 hex digits"):
        bulk.JobFilter(status="pending", creator="0xnope")
    with pytest.raises(ValidationError):
        bulk.JobFilter(status="lost")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="not a valid CID"):
        bulk.JobFilter(status="pending", node_id="node-1")
    none = await bulk.retry_all(store, "alice", bulk.JobFilter(status="failed"))
    assert (none.matched, none.done) == (0, 0)
    assert await events.recent_audit(store, 5) == []
