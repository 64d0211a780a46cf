"""A pending job that cannot be placed never blocks the placeable jobs behind it, and one that no
registered node could ever run fails after its grace, unbilled (place_pending.lua)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from core import jobs, ledger, registry
from core.config import Settings, unplaceable_grace_from_env
from core.errors import InvalidInput
from core.identity import new_key
from core.models.job import SubmitJob
from core.models.node import Node
from core.reads.batch import read
from core.reads.triage import TagUnrunnable, triage_read
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body

HUGE = {"cpu": 1, "memory": 256, "timeout": 30}  # every test node has 32 GB or so
SMALL = {"cpu": 1, "memory": 2, "timeout": 30}
WHOLE_NODE = {"cpu": 8, "memory": 2, "timeout": 30}  # fits the 8-cpu node only when it is idle
NEVER_MEMORY = (
    "No registered node can ever run this job: it needs 256 GB of memory and the largest node "
    "has 32 GB."
)


def body(requirements: dict[str, Any]) -> SubmitJob:
    return job_body(requirements=requirements)


async def submit(store: Store, requirements: dict[str, Any], count: int = 1) -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 500):
        batch = [body(requirements) for _ in range(min(500, count - start))]
        for result in await jobs.submit_many(store, batch, max_attempts=3):
            assert not isinstance(result, Exception), result
            ids.append(result.job_id)
    return ids


async def submit_in_order(store: Store, requirements: dict[str, Any], count: int = 1) -> list[str]:
    """One at a time, a few ms apart: the queue orders by submission time in ms (then by id)."""
    ids: list[str] = []
    for _ in range(count):
        await asyncio.sleep(0.003)
        ids += await submit(store, requirements)
    return ids


async def drained_node(store: Store, **overrides: Any) -> Node:
    """A node that takes nothing while jobs are queued: undrain it to open it."""
    node = await register_node(store, **overrides)
    await registry.change_status(store, node.node_id, "drain")
    return node


async def statuses(store: Store, ids: list[str]) -> list[str]:
    return [job.status for job in await jobs.get_jobs(store, ids)]


async def redis_calls(store: Store) -> int:
    """Commands the server has run so far, those inside scripts included."""
    stats = await store.redis.info("commandstats")
    return sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")


async def calls_of_one_placement(store: Store, **kwargs: Any) -> tuple[int, int]:
    before = await redis_calls(store)
    placed = await jobs.place_pending(store, **kwargs)
    return await redis_calls(store) - before - 1, placed  # less the INFO in between


async def test_a_huge_job_at_the_head_does_not_block_the_small_ones_behind_it(
    store: Store,
) -> None:
    node = await drained_node(store, capabilities={"cpu": 32, "memory": 64})
    huge = (await submit(store, HUGE))[0]
    small = await submit(store, SMALL, 30)
    await registry.change_status(store, node.node_id, "undrain")
    assert await jobs.place_pending(store) == 30  # one call: all of them
    assert set(await statuses(store, small)) == {"assigned"}
    waiting = await jobs.get_job(store, huge)
    assert waiting.status == "pending"
    assert (waiting.pending_reason or "").startswith(
        "No registered node can ever run this job: it needs 256 GB of memory and the largest "
        "node has 64 GB. It fails once it has waited 300 s (LCN_UNPLACEABLE_GRACE) for a node "
        "that can run it to register."
    )


async def test_placeable_jobs_are_placed_oldest_first_past_the_ones_without_room(
    store: Store,
) -> None:
    node = await drained_node(store)  # 8 cpus, 32 GB
    await submit_in_order(store, HUGE)
    first = await submit_in_order(store, SMALL)
    whole = (await submit_in_order(store, WHOLE_NODE))[0]
    rest = await submit_in_order(store, SMALL, 10)
    await registry.change_status(store, node.node_id, "undrain")
    assert await jobs.place_pending(store) == 8
    # The oldest eight that fit: the first small one and the seven after the whole-node job.
    assert await statuses(store, first + rest) == ["assigned"] * 8 + ["pending"] * 3
    job = await jobs.get_job(store, whole)
    assert job.status == "pending" and "free right now" in (job.pending_reason or "")
    # One cpu back: the oldest small job that waited takes it, not a younger one.
    await jobs.cancel(store, first[0])
    assert await jobs.place_pending(store) == 1
    assert await statuses(store, rest) == ["assigned"] * 8 + ["pending"] * 2
    # The node idle again: the whole-node job, older than the two small ones left, goes first.
    for job_id in rest[:8]:
        await jobs.cancel(store, job_id)
    assert await jobs.place_pending(store) == 1
    assert await statuses(store, [whole, *rest[8:]]) == ["assigned", "pending", "pending"]


async def test_an_unplaceable_job_fails_after_its_grace_unbilled_with_its_hold_released(
    store: Store,
) -> None:
    key = new_key()
    big = await register_node(store, key, capabilities={"cpu": 8, "memory": 300})
    job_id = (await submit(store, HUGE))[0]
    job = await jobs.get_job(store, job_id)
    assert job.status == "assigned" and job.assigned_node_id == big.node_id
    held = job.estimated_cost_micro_usd
    assert held > 0 and await ledger.balance(store, "escrow") == held
    # The node comes back smaller, then goes: the job waits with its hold, and no node left
    # could ever run it.
    await register_node(store, key, capabilities={"cpu": 8, "memory": 32})
    await registry.change_status(store, big.node_id, "offline")
    assert (await jobs.get_job(store, job_id)).status == "pending"
    await jobs.place_pending(store, unplaceable_grace_s=300)
    assert (await jobs.get_job(store, job_id)).status == "pending"  # within its grace
    await registry.change_status(store, big.node_id, "online")
    await jobs.place_pending(store, unplaceable_grace_s=300)
    assert (await jobs.get_job(store, job_id)).status == "pending"  # online, still too small
    assert await ledger.balance(store, "escrow") == held
    # The grace is applied when placement looks: with none left, the job fails.
    await jobs.place_pending(store, unplaceable_grace_s=0)
    failed = await jobs.get_job(store, job_id)
    assert failed.status == "failed" and failed.error == NEVER_MEMORY
    assert failed.actual_cost_micro_usd is None and not failed.paid
    assert "Not billed." in (await jobs.job_history(store, job_id))[-1]
    assert await ledger.balance(store, "escrow") == 0
    assert await ledger.balance(store, f"creator:{CREATOR}") == 0
    assert await ledger.balance(store, f"node:{big.node_id}") == 0
    assert await store.redis.zcard(store.keys.unplaceable_due) == 0
    assert await store.redis.zcard(store.keys.unplaceable("rt:javascript")) == 0
    assert (await ledger.check(store)).ok


async def test_with_no_grace_a_job_fails_in_the_call_that_finds_it_unplaceable(
    store: Store,
) -> None:
    await register_node(store)
    job_id = (await submit(store, HUGE))[0]
    await jobs.place_pending(store, unplaceable_grace_s=0)
    job = await jobs.get_job(store, job_id)
    assert job.status == "failed" and job.error == NEVER_MEMORY
    assert await ledger.balance(store, f"creator:{CREATOR}") == 0
    assert await store.redis.zcard(store.keys.unplaceable_due) == 0


async def test_a_job_that_becomes_placeable_within_its_grace_is_placed(store: Store) -> None:
    await register_node(store)
    job_id = (await submit(store, HUGE))[0]
    await jobs.place_pending(store, unplaceable_grace_s=300)
    assert await store.redis.zcard(store.keys.unplaceable_due) == 1
    # Registration puts it back in its queue and places it.
    big = await register_node(store, capabilities={"memory": 512})
    job = await jobs.get_job(store, job_id)
    assert job.status == "assigned" and job.assigned_node_id == big.node_id
    assert job.pending_reason is None
    assert await store.redis.zcard(store.keys.unplaceable_due) == 0
    assert await store.redis.zcard(store.keys.unplaceable("rt:javascript")) == 0


async def test_too_many_cpus_and_no_capable_node_say_so(store: Store) -> None:
    await register_node(store)  # 8 cpus, no models, no network
    cpus = (await submit(store, {"cpu": 64, "memory": 2, "timeout": 30}))[0]
    model = (
        await jobs.submit(
            store,
            job_body(type="model-inference", modelId="iris-classifier", code=None),
            max_attempts=3,
        )
    ).job_id
    await jobs.place_pending(store, unplaceable_grace_s=0)
    assert (await jobs.get_job(store, cpus)).error == (
        "No registered node can ever run this job: it needs 64 CPUs and no node with 2 GB of "
        "memory or more has more than 8 CPUs."
    )
    assert (await jobs.get_job(store, model)).error == (
        "No registered node can ever run this job: none serves the model iris-classifier "
        "(it needs model:iris-classifier)."
    )


async def test_a_cancelled_parked_job_leaves_the_parked_sets(store: Store) -> None:
    await register_node(store)
    job_id = (await submit(store, HUGE))[0]
    await jobs.place_pending(store, unplaceable_grace_s=300)
    await jobs.cancel(store, job_id)
    assert await store.redis.zcard(store.keys.unplaceable_due) == 0
    assert await store.redis.zcard(store.keys.unplaceable("rt:javascript")) == 0


async def test_nothing_fails_while_the_fleet_is_not_fully_known(store: Store) -> None:
    """A node registered before the memory index existed: size cannot be judged, so the job
    waits rather than fail."""
    node = await register_node(store)
    await store.redis.zrem(store.keys.capable_by_memory("rt:javascript"), node.node_id)
    job_id = (await submit(store, HUGE))[0]
    await jobs.place_pending(store, unplaceable_grace_s=0)
    job = await jobs.get_job(store, job_id)
    assert job.status == "pending" and "free right now" in (job.pending_reason or "")


async def test_cost_of_a_call_does_not_grow_with_unplaceable_jobs_queued(store: Store) -> None:
    node = await drained_node(store)
    await submit(store, HUGE, 1000)
    await jobs.place_pending(store)  # warm: the script is loaded, 256 parked
    at_1000, _ = await calls_of_one_placement(store)  # 744 queued
    await submit(store, HUGE, 10_000 - 488)
    at_10000, _ = await calls_of_one_placement(store)  # 10,000 queued
    # Each call parks 256 (six commands each) and passes 256 more (two each), then stops.
    assert at_10000 == at_1000 < 256 * 9
    # Once parked they cost a placement nothing; a placeable job behind them is placed.
    while await store.redis.zcard(store.keys.pending("rt:javascript")):
        await jobs.place_pending(store)
    assert await store.redis.zcard(store.keys.unplaceable_due) == 1000 + 10_000 - 488
    small = await submit(store, SMALL)
    await registry.change_status(store, node.node_id, "undrain")
    cost, placed = await calls_of_one_placement(store)
    assert placed == 1 and await statuses(store, small) == ["assigned"]
    assert cost < 100


async def test_cost_of_a_call_does_not_grow_with_jobs_waiting_for_room(store: Store) -> None:
    node = await drained_node(store)
    await submit(store, WHOLE_NODE, 1000)
    await registry.change_status(store, node.node_id, "undrain")
    assert await jobs.place_pending(store) == 1  # the node is full from here on
    at_1000, _ = await calls_of_one_placement(store)
    await submit(store, WHOLE_NODE, 9_000)
    at_10000, placed = await calls_of_one_placement(store)
    assert placed == 0 and at_10000 == at_1000 < 256 * 4


async def test_triage_lists_parked_jobs_as_unrunnable(store: Store) -> None:
    await register_node(store)
    await submit(store, HUGE, 3)
    await jobs.place_pending(store)
    found = await read(store, triage_read(store, now_ms=0, limit=10, budget=10))
    [item] = [i for i in found.items if i.kind == "unrunnable"]
    assert isinstance(item, TagUnrunnable)
    assert item.target == "rt:javascript" and item.jobs_waiting == 3 and item.since_ms


def test_the_cli_shows_why_a_job_waits_and_why_it_failed(
    lcn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_cli_jobs import SUBMIT, node

    node(lcn, tmp_path, "a.key")  # 4 cpus, 8 GB
    big = {**SUBMIT, "task": {**SUBMIT["task"], "requirements": HUGE}}
    job = json.loads(lcn("job", "submit", "-", "--json", stdin=json.dumps(big)).stdout)
    assert job["status"] == "pending"
    node(lcn, tmp_path, "b.key")  # registering places what waits: this job is parked
    shown = lcn("job", "get", job["jobId"]).stdout
    assert (
        "No registered node can ever run this job: it needs 256 GB of memory and the largest "
        "node has 8 GB. It fails once it has waited 300 s (LCN_UNPLACEABLE_GRACE) for a node "
        "that can run it to register." in " ".join(shown.split())
    )
    monkeypatch.setenv("LCN_UNPLACEABLE_GRACE", "0")
    node(lcn, tmp_path, "c.key")
    got = json.loads(lcn("job", "get", job["jobId"], "--json").stdout)
    assert got["status"] == "failed"
    assert got["error"] == (
        "No registered node can ever run this job: it needs 256 GB of memory and the largest "
        "node has 8 GB."
    )
    assert "Not billed." in got["history"][-1]


async def test_a_retried_unplaceable_job_gets_a_fresh_grace(store: Store) -> None:
    await register_node(store)
    job_id = (await submit(store, HUGE))[0]
    await jobs.place_pending(store, unplaceable_grace_s=0)
    assert (await jobs.get_job(store, job_id)).status == "failed"
    assert await jobs.retry(store, job_id) == "pending"
    await jobs.place_pending(store, unplaceable_grace_s=300)
    job = await jobs.get_job(store, job_id)
    assert job.status == "pending" and "waited 300 s" in (job.pending_reason or "")


@pytest.mark.parametrize("raw", ["-1", "abc", "2.5", str(30 * 86_400 + 1)])
def test_a_bad_grace_is_refused_in_one_sentence(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LCN_UNPLACEABLE_GRACE", raw)
    with pytest.raises(ValueError, match="LCN_UNPLACEABLE_GRACE must be a whole number"):
        unplaceable_grace_from_env()
    with pytest.raises(ValidationError):
        Settings()


def test_the_grace_defaults_to_five_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LCN_UNPLACEABLE_GRACE", raising=False)
    assert unplaceable_grace_from_env() == 300 == Settings().unplaceable_grace_s
    monkeypatch.setenv("LCN_UNPLACEABLE_GRACE", "0")
    assert unplaceable_grace_from_env() == 0 == Settings().unplaceable_grace_s


async def test_placement_refuses_a_negative_grace(store: Store) -> None:
    with pytest.raises(InvalidInput, match="0 seconds or more"):
        await jobs.place_pending(store, unplaceable_grace_s=-1)
