"""A node and the orchestrator live through their Redis dying: they back off, carry on once it is
back, and the embedded server is started again by the first lcn process that finds it dead."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from core import jobs
from core.config import Settings
from core.embedded import stop_embedded
from core.models.job import SubmitJob
from core.store import Store, connect
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.link import RedisLink
from core.swarm.node_runner import NodeRunner, NodeRunnerConfig, agent_configs
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from tests import redis_servers
from tests.helpers import register_node
from tests.jobfactory import CREATOR

NOOP = SubmitJob.model_validate(
    {
        "creatorPKP": CREATOR,
        "task": {
            "type": "data-processing",
            "operation": "sum",
            "input": {"values": [1, 2]},
            "requirements": {"cpu": 1, "memory": 1, "gpu": False, "timeout": 10},
        },
    }
)


@asynccontextmanager
async def working_node(store: Store) -> AsyncIterator[tuple[NodeRunner, list[asyncio.Task[None]]]]:
    """One node with two agents (jobs in threads: this is about the store, not the sandbox)
    and an orchestrator, all on `store`."""
    node = await register_node(store, capabilities={"jobTypes": ["data-processing"]})
    configs = agent_configs(node.node_id, 2, ["data-processing"], [], 3.0, SandboxPolicy(False))
    runner = NodeRunner(
        RedisLink(store, node.node_id), configs, NodeRunnerConfig(heartbeat_s=0.2, grace_s=2)
    )
    orchestrator = Orchestrator(store, OrchestratorConfig(tick_s=0.02, sweep_every_s=0.2))
    stop = asyncio.Event()
    running = [asyncio.create_task(runner.run(stop)), asyncio.create_task(orchestrator.run())]
    try:
        yield runner, running
    finally:
        stop.set()
        orchestrator.stop()
        await asyncio.gather(*running)


async def run_one_job(store: Store, timeout_s: float = 30) -> jobs.Job:
    """Submit (retrying while the store is still coming back) and wait for the outcome."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            job_id = (await jobs.submit(store, NOOP, max_attempts=3)).job_id
            break
        except RedisError:
            assert loop.time() < deadline, "the store never came back"
            await asyncio.sleep(0.1)
    while (job := await jobs.get_job(store, job_id)).status not in ("completed", "failed"):
        assert loop.time() < deadline, f"the job is still {job.status}"
        await asyncio.sleep(0.05)
    return job


async def last_beat(store: Store, runner: NodeRunner) -> float:
    node_id = runner.link.node_id
    return float(await store.redis.zscore(store.keys.nodes_seen, node_id) or 0)


@pytest.fixture
async def embedded_store(
    tmp_path: Path, pool: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Store]:
    for name in ("LCN_REDIS_URL", "REDIS_URL", "KV_URL"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "lcn"
    store = await connect(Settings(data_dir=data, pool=pool, redis_maxmemory="256mb"))
    try:
        yield store
    finally:
        await store.close()
        stop_embedded(data)


async def test_a_killed_embedded_server_is_restarted_and_the_node_carries_on(
    embedded_store: Store, tmp_path: Path
) -> None:
    pid_file = tmp_path / "lcn" / "redis.pid"
    async with working_node(embedded_store) as (runner, running):
        assert (await run_one_job(embedded_store)).status == "completed"
        first_pid = int(pid_file.read_text())
        os.kill(first_pid, signal.SIGKILL)
        await asyncio.sleep(0.5)  # the node and the orchestrator meet a dead socket meanwhile
        # The next connection (the node's, the orchestrator's or this one) starts it again,
        # and its append-only file brings the node, its agents and the job back.
        assert (await run_one_job(embedded_store)).status == "completed"
        assert int(pid_file.read_text()) != first_pid
        beat = await last_beat(embedded_store, runner)
        await asyncio.sleep(0.6)
        assert await last_beat(embedded_store, runner) > beat, "the heartbeat stopped"
        assert not any(task.done() for task in running) and runner.agent_restarts == 0


async def test_a_node_waits_out_a_restart_of_a_configured_redis(tmp_path: Path, pool: str) -> None:
    port = redis_servers.free_port()
    durable = ("--appendonly", "yes")  # so the node and its jobs survive the restart
    proc = redis_servers.start_server(tmp_path / "redis", port, *durable)
    settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", pool=pool, data_dir=tmp_path)
    store = await connect(settings)
    try:
        async with working_node(store) as (runner, running):
            assert (await run_one_job(store)).status == "completed"
            proc.kill()
            proc.wait()
            await asyncio.sleep(1.5)  # heartbeats, claims and ticks all fail meanwhile
            proc = redis_servers.start_server(tmp_path / "redis", port, *durable)
            assert (await run_one_job(store)).status == "completed"
            assert runner.heartbeat_failures > 0
            assert sum(agent.stats.store_errors for agent in runner.agents) > 0
            beat = await last_beat(store, runner)
            await asyncio.sleep(0.6)
            assert await last_beat(store, runner) > beat, "the heartbeat stopped"
            assert not any(task.done() for task in running) and runner.agent_restarts == 0
    finally:
        await store.close()
        redis_servers.stop(proc)


class BuggyOnce(RedisLink):
    """A link whose first claim hits a bug (not a store error): the agent dies of it."""

    bugs = 1

    async def claim(self, agent_id: str, job_types: list[str], lease_s: float) -> jobs.Claim | None:
        if self.bugs:
            self.bugs -= 1
            raise RuntimeError("a bug in the claim path")
        return await super().claim(agent_id, job_types, lease_s)


async def test_an_agent_that_dies_of_a_bug_is_started_again(store: Store) -> None:
    node = await register_node(store, capabilities={"jobTypes": ["data-processing"]})
    configs = agent_configs(node.node_id, 1, ["data-processing"], [], 3.0, SandboxPolicy(False))
    runner = NodeRunner(BuggyOnce(store, node.node_id), configs, NodeRunnerConfig(grace_s=2))
    orchestrator = Orchestrator(store, OrchestratorConfig(tick_s=0.02))
    stop = asyncio.Event()
    running = [asyncio.create_task(runner.run(stop)), asyncio.create_task(orchestrator.run())]
    try:
        assert (await run_one_job(store)).status == "completed"
        assert runner.agent_restarts == 1
    finally:
        stop.set()
        orchestrator.stop()
        await asyncio.gather(*running)
