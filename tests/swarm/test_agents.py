"""Agents and the orchestrator really running jobs against the test Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from core import jobs, ledger, submission
from core.errors import Conflict
from core.models.job import SubmitJob
from core.money import split
from core.store import Store
from core.swarm import roster
from core.swarm.executors import run_data
from core.swarm.link import RedisLink
from core.swarm.node_runner import NodeRunner, NodeRunnerConfig, agent_configs
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body

ALL = ["code-execution", "model-inference", "data-processing"]


@contextlib.asynccontextmanager
async def swarm(
    store: Store,
    nodes: int = 1,
    agents: int = 2,
    lease_s: float = 5.0,
    kinds: list[str] | None = None,
) -> AsyncIterator[list[NodeRunner]]:
    kinds = kinds or ALL
    orch = Orchestrator(store, OrchestratorConfig(tick_s=0.02, sweep_every_s=0.2))
    runners = []
    for _ in range(nodes):
        node = await register_node(
            store,
            capabilities={
                "models": ["iris-classifier", "digits-classifier"],
                "runtimes": ["python", "javascript"],
                "jobTypes": kinds,
            },
        )
        configs = agent_configs(
            node.node_id, agents, kinds, list(node.capabilities.models), lease_s
        )
        runners.append(
            NodeRunner(
                RedisLink(store, node.node_id), configs, NodeRunnerConfig(heartbeat_s=1, grace_s=5)
            )
        )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in runners]
    orch_task = asyncio.create_task(orch.run())
    try:
        yield runners
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        orch.stop()
        await orch_task


async def wait_for(
    store: Store,
    job_id: str,
    states: tuple[str, ...] = ("completed", "failed"),
    timeout_s: float = 30,
) -> jobs.Job:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        job = await jobs.get_job(store, job_id)
        if job.status in states:
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} stayed {job.status}")


async def test_the_networks_example_job_runs_and_logs_hello(store: Store) -> None:
    async with swarm(store):
        job_id = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
        job = await wait_for(store, job_id)
    assert job.status == "completed", job.error
    assert job.logs == ["Hello from Lit Compute!"]
    assert job.result_cid and job.result_cid.startswith("bafkrei")
    assert job.actual_cost_micro_usd and job.actual_cost_micro_usd > 0
    assert (await ledger.check(store)).ok


async def test_python_inference_and_data_jobs_give_real_results(store: Store) -> None:
    async with swarm(store):
        py = await jobs.submit(
            store,
            job_body(
                language="python",
                code=(
                    "import json, os\n"
                    "data = json.load(open(os.environ['LCN_INPUT']))\n"
                    "print(json.dumps({'total': sum(data['xs'])}))"
                ),
                input={"xs": [1, 2, 3]},
            ),
            max_attempts=3,
        )
        iris = await jobs.submit(
            store,
            job_body(
                type="model-inference",
                code=None,
                modelId="iris-classifier",
                input={"features": [[5.1, 3.5, 1.4, 0.2]]},
            ),
            max_attempts=3,
        )
        data = await jobs.submit(
            store,
            job_body(
                type="data-processing", code=None, operation="sum", input={"values": [4, 5, 6]}
            ),
            max_attempts=3,
        )
        results = [await wait_for(store, r.job_id) for r in (py, iris, data)]
    assert results[0].result == {"total": 6}
    assert results[1].result["predictions"] == ["setosa"]
    assert results[2].result == 15


@pytest.mark.parametrize(
    ("language", "code", "error"),
    [
        ("javascript", "setTimeout(() => { throw new Error('boom'); }, 1500);", "boom"),
        ("python", "import time\ntime.sleep(1.5)\nraise SystemExit(3)", "code 3"),
    ],
)
async def test_a_program_failing_in_its_own_code_is_billed_for_the_time_it_ran(
    store: Store, language: str, code: str, error: str
) -> None:
    async with swarm(store) as runners:
        submitted = await jobs.submit(store, job_body(language=language, code=code), max_attempts=3)
        job = await wait_for(store, submitted.job_id)
    assert job.status == "failed" and error in (job.error or "")
    assert job.lease.attempts == 1  # its own fault: not retried on another node
    rate = submitted.estimated_cost_micro_usd // 30  # the hold is the rate × the 30 s timeout
    cost = job.actual_cost_micro_usd or 0
    assert rate * 1.5 <= cost < rate * 5  # ran 1.5 s (plus start-up), billed like a completion
    node_part, platform_part = split(cost)
    node_id = runners[0].link.node_id
    assert await ledger.balance(store, f"creator:{CREATOR}") == -cost
    assert await ledger.balance(store, f"node:{node_id}") == node_part
    assert await ledger.balance(store, "platform") == platform_part
    assert await ledger.balance(store, "escrow") == 0
    assert job.paid
    history = await jobs.job_history(store, job.job_id)
    assert f"Billed {cost} µUSD" in history[-1] and "it failed in its own code" in history[-1]
    assert (await ledger.check(store)).ok


async def test_unknown_model_never_reaches_an_agent(store: Store) -> None:
    async with swarm(store):
        result = await jobs.submit(
            store, job_body(type="model-inference", code=None, modelId="gpt-9"), max_attempts=3
        )
        await asyncio.sleep(0.3)
        job = await jobs.get_job(store, result.job_id)
    assert job.status == "pending" and "model:gpt-9" in (job.pending_reason or "")


async def test_a_large_data_job_is_sharded_across_agents_and_reduced(store: Store) -> None:
    values = [(i * 7919) % 10007 - 5000 for i in range(23_000)]
    body = SubmitJob.model_validate(
        {
            "creatorPKP": CREATOR,
            "task": {"type": "data-processing", "operation": "sort", "input": {"values": values}},
        }
    )
    async with swarm(store, nodes=2, agents=2) as runners:
        result = await submission.submit(store, body, max_attempts=3)
        assert result.status == "running"
        job = await wait_for(store, result.job_id)
    assert job.status == "completed"
    expected = await run_data("sort", {"values": values})
    assert job.result == expected.output
    shard_ids = await store.redis.lrange(store.keys.job(result.job_id) + ":shards", 0, -1)
    assert len(shard_ids) == 5
    agents_used = {(await jobs.get_job(store, s.decode())).lease.agent_id for s in shard_ids}
    assert len(agents_used) >= 2
    assert sum(a.stats.done for r in runners for a in r.agents) == 5
    assert (await ledger.check(store)).ok


async def test_reassigning_a_running_job_stops_the_old_agent(store: Store) -> None:
    slow = "setTimeout(() => console.log('late'), 3000);"
    async with swarm(store, nodes=1, agents=1, lease_s=0.3) as runners:
        job_id = (await jobs.submit(store, job_body(code=slow), max_attempts=3)).job_id
        await wait_for(store, job_id, ("running",))
        other = await register_node(store)
        assert await jobs.reassign(store, job_id) == other.node_id
        agent = runners[0].agents[0]
        for _ in range(100):
            if agent.stats.lost:
                break
            await asyncio.sleep(0.05)
    assert agent.stats.lost == 1 and agent.stats.done == 0
    job = await jobs.get_job(store, job_id)
    assert job.status == "assigned" and job.assigned_node_id == other.node_id


async def test_agents_show_in_the_roster_and_stop_cleanly(store: Store) -> None:
    async with swarm(store, nodes=1, agents=3):
        await asyncio.sleep(0.1)
        listed = await roster.list_agents(store)
        assert len(listed) == 3 and {a.state for a in listed} <= {"idle", "working"}
    assert {a.state for a in await roster.list_agents(store)} == {"stopped"}


async def test_shutdown_hands_back_a_job_that_does_not_finish_in_time(store: Store) -> None:
    node = await register_node(store)
    link = RedisLink(store, node.node_id)
    runner = NodeRunner(
        link, agent_configs(node.node_id, 1, ALL, [], 30.0), NodeRunnerConfig(grace_s=0.2)
    )
    job_id = (
        await jobs.submit(store, job_body(code="setTimeout(() => {}, 5000);"), max_attempts=3)
    ).job_id
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await wait_for(store, job_id, ("running",))
    stop.set()
    await task
    job = await jobs.get_job(store, job_id)
    assert job.status == "pending" and job.lease.attempts == 0
    assert await ledger.balance(store, f"node:{node.node_id}") == 0
    with pytest.raises(Conflict):
        await jobs.extend_lease(store, job_id, "1-x", 5)


async def test_an_unbalanced_ledger_reaches_the_consoles_triage(store: Store) -> None:
    from console.triage_words import triage_sentence
    from core.reads.snapshot import ViewRequest, poll

    await ledger.post(store, "world", "platform", 10, "k", "credit")
    await store.redis.hincrby(store.keys.balances, "platform", 1)  # the books no longer balance
    orchestrator = Orchestrator(store, OrchestratorConfig(ledger_check_every_s=0))
    await orchestrator.tick()
    snapshot = await poll(store, ViewRequest())
    assert snapshot.triage is not None
    items = [i for i in snapshot.triage.items if i.kind == "ledger"]
    assert items and "sum to 1 micro-USD" in triage_sentence(items[0], snapshot.now_ms)
