"""A Redis that is out of memory (maxmemory with noeviction), on a real server of its own: the
embedded server starts with a limit, HTTP clients get a 503 with one sentence, `/health` and
`lcn status` say degraded with the reason, and the node's agents and heartbeat wait it out and
carry on without a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redis
from redis.exceptions import OutOfMemoryError
from typer.testing import CliRunner

from console.cli import app
from core import apikeys, jobs
from core.config import Settings
from core.embedded import ensure_embedded, stop_embedded
from core.gateway import GatewaySettings, create_app
from core.memory_limit import FLOOR_BYTES, default_maxmemory, parse_maxmemory
from core.models.job import SubmitJob
from core.redis_users import USERS, read_passwords
from core.store import Store, connect
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.link import RedisLink
from core.swarm.node_runner import NodeRunner, NodeRunnerConfig, agent_configs
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from tests import redis_servers
from tests.helpers import register_node
from tests.jobfactory import CREATOR

NOOP = {
    "creatorPKP": CREATOR,
    "task": {
        "type": "data-processing",
        "operation": "sum",
        "input": {"values": [1, 2]},
        "requirements": {"cpu": 1, "memory": 1, "gpu": False, "timeout": 10},
    },
}


def test_maxmemory_sizes() -> None:
    assert parse_maxmemory("2gb") == 2 * 1024**3
    assert parse_maxmemory("512MB") == 512 * 1024**2
    assert parse_maxmemory("0") == 0
    assert parse_maxmemory(str(FLOOR_BYTES)) == FLOOR_BYTES
    assert parse_maxmemory("") == default_maxmemory()
    assert FLOOR_BYTES <= default_maxmemory() <= 8 * 1024**3
    assert 0 < parse_maxmemory("10%") < parse_maxmemory("20%")
    for bad in ("2", "lots", "-1gb", "150%"):
        with pytest.raises(ValueError):
            parse_maxmemory(bad)
    with pytest.raises(ValueError):
        Settings(redis_maxmemory="12 parsecs")


def test_the_embedded_server_starts_with_maxmemory_and_noeviction(tmp_path: Path) -> None:
    data = tmp_path / "lcn"
    try:
        ensure_embedded(data, maxmemory_bytes=64 * 1024**2)
        passwords = read_passwords(data)
        assert passwords is not None
        admin = redis.Redis(
            unix_socket_path=str(data / "redis.sock"),
            username=USERS["admin"].name,
            password=passwords[USERS["admin"].name],
            decode_responses=True,
        )
        config = admin.config_get("maxmemory*")
        assert config["maxmemory"] == str(64 * 1024**2)
        assert config["maxmemory-policy"] == "noeviction"
    finally:
        stop_embedded(data)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[redis.Redis]:
    """A server of this test's own, so filling it up cannot disturb the other tests."""
    port = redis_servers.free_port()
    proc = redis_servers.start_server(tmp_path / "redis", port)
    try:
        yield redis.Redis(port=port, decode_responses=True)
    finally:
        redis_servers.stop(proc)


@pytest.fixture
async def own_store(own_server: redis.Redis, pool: str, tmp_path: Path) -> AsyncIterator[Store]:
    port = own_server.connection_pool.connection_kwargs["port"]
    settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", pool=pool, data_dir=tmp_path)
    store = await connect(settings)
    yield store
    await store.close()


def fill_up(server: redis.Redis) -> None:
    """Hold 1 MiB more than the limit the server is then given, so it stays full (noeviction)
    whatever else comes and goes, and check that it refuses a write. The filler goes in small
    values: one big one would leave a big query buffer that the server frees a moment later."""
    server.config_set("maxmemory-policy", "noeviction")
    for chunk in range(8):
        server.mset({f"filler:{chunk}:{i}": "x" * 4096 for i in range(64)})
    server.config_set("maxmemory", int(server.info("memory")["used_memory"]) - 2**20)
    with pytest.raises(OutOfMemoryError):
        server.set("one-more", "x")


def make_room(server: redis.Redis) -> None:
    server.delete(*server.keys("filler:*"))
    server.config_set("maxmemory", 0)


async def test_a_full_store_gives_503_with_a_reason_and_degraded_health(
    own_server: redis.Redis, own_store: Store, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, secret = await apikeys.create(own_store, "tests")
    await register_node(own_store)
    auth = {"Authorization": f"Bearer {secret}"}
    gateway = create_app(
        Settings(redis_url=own_store.url, pool=pool),
        GatewaySettings(rate_limit=100_000, node_rate_limit=100_000),
        store=own_store,
    )
    transport = httpx.ASGITransport(app=gateway)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        fill_up(own_server)
        refused = await client.post("/lit-compute/jobs/submit", json=NOOP, headers=auth)
        assert refused.status_code == 503, refused.text
        error = refused.json()["error"]
        assert error["code"] == "unavailable"
        assert "out of memory" in error["message"] and error["message"].count(".") == 1
        assert refused.headers["Retry-After"]
        health = await client.get("/lit-compute/health")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"
        assert "out of memory" in health.json()["reason"]

        monkeypatch.setenv("LCN_REDIS_URL", own_store.url)
        monkeypatch.setenv("LCN_POOL", pool)
        # The CLI runs its own event loop, so it gets a thread of its own.
        status = await asyncio.to_thread(CliRunner().invoke, app, ["status"])
        assert status.exit_code == 3, status.output
        assert "degraded" in status.stdout and "out of memory" in status.stdout
        submit = await asyncio.to_thread(
            CliRunner().invoke, app, ["job", "submit", "-"], input=json.dumps(NOOP)
        )
        assert submit.exit_code != 0 and "out of memory" in submit.stderr, submit.output

        make_room(own_server)
        assert (await client.get("/lit-compute/health")).json()["status"] == "ok"
        accepted = await client.post("/lit-compute/jobs/submit", json=NOOP, headers=auth)
        assert accepted.status_code == 200, accepted.text


async def test_agents_and_heartbeat_wait_out_a_full_store(
    own_server: redis.Redis, own_store: Store
) -> None:
    node = await register_node(own_store, capabilities={"jobTypes": ["data-processing"]})
    configs = agent_configs(node.node_id, 2, ["data-processing"], [], 3.0, SandboxPolicy(False))
    runner = NodeRunner(
        RedisLink(own_store, node.node_id), configs, NodeRunnerConfig(heartbeat_s=0.2, grace_s=2)
    )
    orchestrator = Orchestrator(own_store, OrchestratorConfig(tick_s=0.02, sweep_every_s=0.2))
    stop = asyncio.Event()
    running = [asyncio.create_task(runner.run(stop)), asyncio.create_task(orchestrator.run())]
    try:
        first = await jobs.submit(own_store, SubmitJob.model_validate(NOOP), max_attempts=3)
        assert (await wait_done(own_store, first.job_id)).status == "completed"
        fill_up(own_server)
        await asyncio.sleep(1.5)  # heartbeats and idle reports are refused meanwhile
        with pytest.raises(OutOfMemoryError):
            own_server.set("one-more", "x")  # still full
        assert runner.heartbeat_failures > 0
        assert not any(task.done() for task in running)
        make_room(own_server)
        second = await jobs.submit(own_store, SubmitJob.model_validate(NOOP), max_attempts=3)
        assert (await wait_done(own_store, second.job_id)).status == "completed"
        seen = await own_store.redis.zscore(own_store.keys.nodes_seen, node.node_id)
        await asyncio.sleep(0.5)
        assert await own_store.redis.zscore(own_store.keys.nodes_seen, node.node_id) > seen
        assert runner.agent_restarts == 0
    finally:
        stop.set()
        orchestrator.stop()
        await asyncio.gather(*running)


async def wait_done(store: Store, job_id: str, timeout_s: float = 20) -> jobs.Job:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        job = await jobs.get_job(store, job_id)
        if job.status in ("completed", "failed") or loop.time() > deadline:
            return job
        await asyncio.sleep(0.05)


async def test_the_triage_puts_a_full_store_first_and_a_user_without_info_still_polls(
    own_server: redis.Redis, own_store: Store, pool: str
) -> None:
    from console.triage_words import triage_sentence
    from core.reads.snapshot import ViewRequest, poll

    await register_node(own_store)
    assert all(
        i.kind != "redis_memory" for i in (await poll(own_store, ViewRequest())).triage.items
    )  # type: ignore[union-attr]
    fill_up(own_server)
    try:
        triage = (await poll(own_store, ViewRequest())).triage
        assert triage is not None
        first = triage.items[0]
        assert first.kind == "redis_memory" and first.severity == "critical"
        assert "out of memory" in triage_sentence(first, 0)
        # A user that may not run INFO (a locked-down managed Redis) still gets its snapshot,
        # just without this item: the memory read is optional in the batch.
        own_server.acl_setuser(
            "no-info", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-info"]
        )
        port = own_server.connection_pool.connection_kwargs["port"]
        settings = Settings(redis_url=f"redis://no-info:pw@127.0.0.1:{port}/0", pool=pool)
        limited = await connect(settings, load_scripts=False)
        try:
            seen = (await poll(limited, ViewRequest())).triage
            assert seen is not None and all(i.kind != "redis_memory" for i in seen.items)
        finally:
            await limited.close()
    finally:
        make_room(own_server)
