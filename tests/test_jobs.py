from __future__ import annotations

import asyncio

import pytest

from core import jobs, ledger, registry
from core.errors import Conflict, InvalidInput, NotFound
from core.money import split
from core.store import Store
from core.wire.leases import ClaimedJob
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body

CREATOR_ACCOUNT = f"creator:{CREATOR}"


async def submit(store: Store, **task: object) -> jobs.SubmitResult:  # type: ignore[name-defined]
    return await jobs.submit(store, job_body(**task), max_attempts=3)


async def test_submit_places_on_a_capable_node_and_holds_the_estimate(store: Store) -> None:
    node = await register_node(store)
    result = await submit(store)
    assert result.job_id.startswith("bafyrei")
    assert result.status == "assigned" and result.assigned_node_id == node.node_id
    # 1 cpu at 0.001 $/s + 2 GB at 0.05 $/GB·s, for the 30 s timeout.
    assert result.estimated_cost_micro_usd == (1000 + 2 * 50_000) * 30
    assert result.estimated_cost == 3.03
    assert await ledger.balance(store, "escrow") == result.estimated_cost_micro_usd
    assert (await registry.get_node(store, node.node_id)).load.cpu_used == 1


async def test_full_lifecycle_settles_once_with_the_70_30_split(store: Store) -> None:
    node = await register_node(store)
    job_id = (await submit(store)).job_id
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id and claim.task.language == "javascript"
    assert (await jobs.get_job(store, job_id)).status == "running"
    await asyncio.sleep(0.01)
    reply = await jobs.complete(
        store,
        job_id,
        claim.token,
        duration_ms=2,
        output={"ok": 1},
        logs=["Hello from Lit Compute!"],
    )
    cost = (1000 + 2 * 50_000) * 1  # the one-second minimum at the node's rate
    node_part, platform_part = split(cost)
    assert reply["actual_cost"] == cost
    again = await jobs.complete(store, job_id, claim.token, duration_ms=2, output={"ok": 1})
    assert again["duplicate"] is True
    balances = await ledger.balances(store)
    assert balances[f"node:{node.node_id}"] == node_part
    assert balances["platform"] == platform_part
    assert balances[CREATOR_ACCOUNT] == -cost
    assert balances["escrow"] == 0
    job = await jobs.get_job(store, job_id)
    assert job.status == "completed" and job.result == {"ok": 1}
    assert job.result_cid and job.result_cid.startswith("bafkrei")
    assert job.logs == ["Hello from Lit Compute!"]
    after = await registry.get_node(store, node.node_id)
    assert after.total_jobs_completed == 1 and after.total_earnings_micro_usd == node_part
    assert after.load.cpu_used == 0
    assert (await ledger.check(store)).ok


async def test_a_batch_on_one_node_counts_every_job_in_its_totals(store: Store) -> None:
    """One script completes the batch and writes the node once: every job must count."""
    node = await register_node(store)
    placed = await jobs.submit_many(store, [job_body() for _ in range(5)], max_attempts=3)
    assert all(isinstance(p, jobs.SubmitResult) for p in placed)
    claims = await jobs.claim_many(
        store, node.node_id, "agent-1", ["code-execution"], 30, max_jobs=10
    )
    assert len(claims) == 5
    replies = await jobs.complete_many(
        store, [jobs.Completion(c.job_id, c.token, 0, 0, []) for c in claims]
    )
    shares = [r["node_share"] for r in replies if isinstance(r, dict)]
    assert len(shares) == 5
    after = await registry.get_node(store, node.node_id)
    assert after.total_jobs_completed == 5 and after.total_earnings_micro_usd == sum(shares)
    assert after.load.cpu_used == 0 and after.reputation == min(100, node.reputation + 5)
    balances = await ledger.balances(store)
    assert balances[f"node:{node.node_id}"] == sum(shares) and balances["escrow"] == 0
    assert await store.redis.zcard(store.keys.jobs_with_status("completed")) == 5
    assert await store.redis.zcard(store.keys.leases) == 0
    assert (await ledger.check(store)).ok


async def test_job_no_node_can_run_waits_with_a_reason_then_is_placed(store: Store) -> None:
    await register_node(store)  # no GPU, no models
    result = await submit(store, type="model-inference", modelId="iris-classifier", code=None)
    assert result.status == "pending"
    assert "model:iris-classifier" in (result.pending_reason or "")
    assert await jobs.place_pending(store) == 0
    node = await register_node(store, capabilities={"models": ["iris-classifier"]})
    # Registration itself places what was waiting for such a node.
    job = await jobs.get_job(store, result.job_id)
    assert job.status == "assigned" and job.assigned_node_id == node.node_id
    assert job.pending_reason is None


async def test_gpu_jobs_only_go_to_gpu_nodes(store: Store) -> None:
    await register_node(store)
    gpu_node = await register_node(store, capabilities={"gpu": True})
    result = await submit(store, requirements={"gpu": True, "cpu": 1, "memory": 1, "timeout": 5})
    assert result.assigned_node_id == gpu_node.node_id


async def test_full_nodes_turn_busy_and_jobs_wait(store: Store) -> None:
    node = await register_node(store, capabilities={"cpu": 2})
    await submit(store)
    await submit(store)
    assert (await registry.get_node(store, node.node_id)).status == "busy"
    third = await submit(store)
    assert third.status == "pending" and "busy" in (third.pending_reason or "")


async def test_completion_after_reassignment_is_refused_and_pays_nothing(store: Store) -> None:
    first = await register_node(store)
    job_id = (await submit(store)).job_id
    claim = await jobs.claim(store, first.node_id, "a1", ["code-execution"], lease_s=30)
    assert claim
    second = await register_node(store)
    assert await jobs.reassign(store, job_id) == second.node_id
    with pytest.raises(Conflict, match="no longer yours"):
        await jobs.complete(store, job_id, claim.token, duration_ms=5, output=1)
    with pytest.raises(Conflict):
        await jobs.extend_lease(store, job_id, claim.token, 30)
    assert await ledger.balance(store, f"node:{first.node_id}") == 0
    new_claim = await jobs.claim(store, second.node_id, "a2", ["code-execution"], lease_s=30)
    assert new_claim and new_claim.token != claim.token and new_claim.attempts == 2


async def test_reassign_to_a_named_node_checks_capability_and_room(store: Store) -> None:
    a = await register_node(store)
    small = await register_node(store, capabilities={"cpu": 1, "runtimes": ["python"]})
    job_id = (await submit(store)).job_id  # javascript
    with pytest.raises(Conflict, match="cannot run this job"):
        await jobs.reassign(store, job_id, small.node_id)
    with pytest.raises(Conflict, match="already on that node"):
        await jobs.reassign(store, job_id, a.node_id)
    with pytest.raises(Conflict, match="No other node"):
        await jobs.reassign(store, job_id)
    assert (await jobs.get_job(store, job_id)).assigned_node_id == a.node_id


async def test_expired_lease_requeues_then_fails_after_the_limit(store: Store) -> None:
    node = await register_node(store)
    job_id = (await jobs.submit(store, job_body(), max_attempts=2)).job_id
    for attempt in (1, 2):
        await jobs.place_pending(store)  # the only node is back in play after a requeue
        claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=0.01)
        assert claim and claim.attempts == attempt
        await asyncio.sleep(0.03)
        outcome = await jobs.expire_leases(store)
        with pytest.raises(Conflict):
            await jobs.complete(store, job_id, claim.token, duration_ms=1, output=None)
    assert outcome == {"requeued": 0, "failed": 1}
    job = await jobs.get_job(store, job_id)
    assert job.status == "failed" and "lease expired" in (job.error or "")
    assert (await registry.get_node(store, node.node_id)).reputation == 90
    assert await ledger.balance(store, "escrow") == 0
    assert await ledger.balance(store, CREATOR_ACCOUNT) == 0


async def test_fail_code_error_ends_job_and_retry_runs_it_again(store: Store) -> None:
    node = await register_node(store)
    job_id = (await submit(store)).job_id
    claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30)
    assert claim
    assert await jobs.fail(store, job_id, claim.token, error="SyntaxError.") == "failed"
    assert await ledger.balance(store, "escrow") == 0
    other = (await submit(store)).job_id
    with pytest.raises(Conflict, match="Only failed or cancelled"):
        await jobs.retry(store, other)
    await jobs.cancel(store, other)
    assert await jobs.retry(store, job_id) == "assigned"
    claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30)
    assert claim and claim.job_id == job_id and claim.attempts == 1
    await jobs.complete(store, job_id, claim.token, duration_ms=1, output=None)
    assert (await ledger.check(store)).ok


async def test_retryable_failure_moves_the_job_and_costs_reputation(store: Store) -> None:
    a = await register_node(store)
    b = await register_node(store)
    job_id = (await submit(store)).job_id
    first = (await jobs.get_job(store, job_id)).assigned_node_id
    claim = await jobs.claim(store, first or "", "x", ["code-execution"], lease_s=30)
    assert claim
    status = await jobs.fail(store, job_id, claim.token, error="Disk full.", retryable=True)
    assert status == "assigned"
    job = await jobs.get_job(store, job_id)
    assert job.assigned_node_id in {a.node_id, b.node_id} - {first}
    assert (await registry.get_node(store, first or "")).reputation == 98


RATE = 1000 + 2 * 50_000  # µUSD/s of the test job (1 cpu, 2 GB) at the test node's prices


async def test_a_job_failing_in_its_own_code_is_billed_for_the_time_it_ran(store: Store) -> None:
    node = await register_node(store)
    job_id = (await submit(store)).job_id
    claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30)
    assert claim
    await asyncio.sleep(1.3)  # the lease is held longer than the 1250 ms the agent measured
    status = await jobs.fail(
        store, job_id, claim.token, error="Exited with code 1.", duration_ms=1250
    )
    assert status == "failed"
    cost = RATE * 1250 // 1000
    node_part, platform_part = split(cost)
    balances = await ledger.balances(store)
    assert balances[CREATOR_ACCOUNT] == -cost
    assert balances[f"node:{node.node_id}"] == node_part
    assert balances["platform"] == platform_part
    assert balances["escrow"] == 0
    job = await jobs.get_job(store, job_id)
    assert job.status == "failed" and job.actual_cost_micro_usd == cost and job.paid
    after = await registry.get_node(store, node.node_id)
    assert after.total_earnings_micro_usd == node_part and after.total_jobs_completed == 0
    assert after.load.cpu_used == 0
    history = await jobs.job_history(store, job_id)
    assert history[-1].endswith(
        f"failed: Exited with code 1. Billed {cost} µUSD for 1250 ms: it failed in its own code."
    )
    with pytest.raises(Conflict):  # billed once: the lease is spent
        await jobs.fail(store, job_id, claim.token, error="again", duration_ms=1250)
    assert (await ledger.check(store)).ok
    # Run again: the new generation starts unbilled; the first bill stays in the books.
    assert await jobs.retry(store, job_id) == "assigned"
    job = await jobs.get_job(store, job_id)
    assert job.actual_cost_micro_usd is None and not job.paid
    assert await ledger.balance(store, f"node:{node.node_id}") == node_part
    assert (await ledger.check(store)).ok


async def test_a_failure_is_billed_at_most_for_the_time_its_lease_was_held(store: Store) -> None:
    node = await register_node(store)
    first = (await submit(store)).job_id
    second = (await submit(store)).job_id
    claims = [
        await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30) for _ in "ab"
    ]
    assert all(claims)
    await asyncio.sleep(1.2)
    by_id = {c.job_id: c for c in claims if c}
    # An agent claiming ten minutes, and one that does not say: both bill the lease's time.
    await jobs.fail(store, first, by_id[first].token, error="Timed out.", duration_ms=600_000)
    await jobs.fail(store, second, by_id[second].token, error="Exited with code 2.")
    for job_id in (first, second):
        cost = (await jobs.get_job(store, job_id)).actual_cost_micro_usd or 0
        assert RATE * 1.2 <= cost < RATE * 3
    assert (await ledger.check(store)).ok


async def test_node_faults_are_not_billed_and_the_history_says_so(store: Store) -> None:
    node = await register_node(store)
    job_id = (await submit(store)).job_id

    async def claim(lease_s: float = 30) -> ClaimedJob:
        await jobs.place_pending(store)  # its only node is excluded from each requeue
        got = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=lease_s)
        assert got and got.job_id == job_id
        return got

    got = await claim()
    assert await jobs.hand_back(store, job_id, got.token, "The node is shutting down.") == "pending"
    got = await claim()
    await jobs.fail(store, job_id, got.token, error="The agent failed.", retryable=True)
    for _ in range(2):  # the lease is lost twice: the second time is its last attempt
        await claim(lease_s=0.01)
        await asyncio.sleep(0.03)
        await jobs.expire_leases(store)
    job = await jobs.get_job(store, job_id)
    assert job.status == "failed" and job.actual_cost_micro_usd is None and not job.paid
    history = await jobs.job_history(store, job_id)
    assert any(
        "The node is shutting down. Not billed: its node handed it back." in h for h in history
    )
    node_fault = "Not billed: the fault was its node's, not the job's."
    assert any(h.endswith(f"requeued: The agent failed. {node_fault}") for h in history)
    assert any(h.endswith(f"requeued: Its lease expired. {node_fault}") for h in history)
    assert history[-1].endswith(f"Gave up after 3 attempts. {node_fault}")
    balances = await ledger.balances(store)
    assert balances.get(f"node:{node.node_id}", 0) == 0 and balances.get("platform", 0) == 0
    assert balances[CREATOR_ACCOUNT] == 0 and balances["escrow"] == 0
    assert (await ledger.check(store)).ok


async def test_cancel_releases_capacity_and_hold(store: Store) -> None:
    node = await register_node(store)
    job_id = (await submit(store)).job_id
    assert await jobs.cancel(store, job_id) == "cancelled"
    with pytest.raises(Conflict, match="already cancelled"):
        await jobs.cancel(store, job_id)
    assert (await registry.get_node(store, node.node_id)).load.cpu_used == 0
    assert await ledger.balance(store, "escrow") == 0
    assert await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=5) is None


async def test_offline_node_jobs_are_requeued_and_drain_keeps_running_ones(store: Store) -> None:
    a = await register_node(store)
    job_id = (await submit(store)).job_id
    await registry.change_status(store, a.node_id, "drain")
    assert (await jobs.get_job(store, job_id)).status == "assigned"
    assert (await submit(store)).status == "pending"
    b = await register_node(store)
    await registry.change_status(store, a.node_id, "offline")
    job = await jobs.get_job(store, job_id)
    assert job.status == "assigned" and job.assigned_node_id == b.node_id


async def test_two_agents_racing_for_one_job_exactly_one_wins(store: Store) -> None:
    node = await register_node(store, capabilities={"cpu": 64, "memory": 256})
    for _ in range(30):
        await submit(store)
    claims = await asyncio.gather(
        *[
            jobs.claim(store, node.node_id, f"agent-{i}", ["code-execution"], lease_s=30)
            for i in range(60)
        ]
    )
    won = [c.job_id for c in claims if c]
    assert len(won) == 30 and len(set(won)) == 30


@pytest.mark.parametrize(
    ("task", "error"),
    [
        ({"type": "render"}, "type"),
        ({"code": ""}, "needs code"),
        ({"code": "x" * 70_000}, "larger than 64 KiB"),
        ({"requirements": {"cpu": 0}}, "cpu"),
        ({"requirements": {"timeout": 99999}}, "timeout"),
        ({"type": "data-processing", "operation": "explode"}, "operation"),
        ({"type": "model-inference", "code": None}, "modelId"),
        ({"language": "cobol"}, "language"),
    ],
)
def test_bad_submissions_are_refused(task: dict[str, object], error: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=error):
        job_body(**task)


async def test_unknown_ids_and_bad_filters(store: Store) -> None:
    with pytest.raises(InvalidInput):
        await jobs.get_job(store, "xyz")
    missing = "bafyreihltcnuuyqp2jm24aqydpnlj7b6w3ogwrplomrjtg5rifv44mmjey"
    with pytest.raises(NotFound):
        await jobs.get_job(store, missing)
    with pytest.raises(NotFound):
        await jobs.cancel(store, missing)
    with pytest.raises(InvalidInput, match="Unknown job status"):
        await jobs.list_jobs(store, status="done")
    with pytest.raises(InvalidInput, match="Job types"):
        await jobs.claim(store, missing, "a", ["mining"], lease_s=1)
