"""Network for jobs: none by default, outbound only where the node operator allowed it, and
never the host's loopback."""

from __future__ import annotations

import shutil

import pytest

from core import jobs
from core.store import Store
from core.swarm.executors import Limits, run_code
from core.swarm.executors.jail import probe
from core.swarm.executors.policy import NetworkUnavailable, node_sandbox
from tests.helpers import register_node
from tests.jobfactory import job_body
from tests.swarm.test_job_attacks import Listener, listener  # noqa: F401 (fixture)

PROBE = r"""
import json, socket
seen = {"interfaces": [l.split(":")[0].strip() for l in open("/proc/net/dev") if ":" in l]}
for host in targets:
    try:
        socket.create_connection((host, port), timeout=2).close()
        seen[host] = "ok"
    except OSError as exc:
        seen[host] = f"blocked: {exc.strerror}"
print(json.dumps(seen))
"""


def _probe(port: int) -> str:
    return f"targets = ['127.0.0.1', '10.0.2.2']\nport = {port}\n" + PROBE


@pytest.mark.skipif(
    probe() is not None or shutil.which("slirp4netns") is None,
    reason="needs the sandbox and slirp4netns (.ci/run installs it)",
)
@pytest.mark.parametrize("allowed", [True, False])
async def test_network_jobs_never_reach_the_hosts_loopback(
    listener: Listener,  # noqa: F811
    allowed: bool,
) -> None:
    sandbox = node_sandbox(allow_network=allowed)
    limits = Limits(timeout_s=20, cpu_seconds=10, memory_mb=256)
    outcome = await run_code(
        "python", _probe(listener.port), None, limits, policy=sandbox.policy, network=allowed
    )
    assert outcome.ok, outcome.error
    seen = outcome.output
    assert seen["127.0.0.1"].startswith("blocked") and seen["10.0.2.2"].startswith("blocked")
    assert listener.connections == 0
    # With network allowed the job has its own interface (slirp4netns' tap0); without, only lo.
    assert ("tap0" in seen["interfaces"]) is allowed


async def test_a_job_asking_for_network_on_a_node_without_it_is_refused() -> None:
    limits = Limits(timeout_s=20, cpu_seconds=10, memory_mb=256)
    with pytest.raises(Exception, match="does not allow jobs network access"):
        await run_code("python", "print(1)", None, limits, network=True)


def test_network_cannot_go_with_an_unsandboxed_node() -> None:
    with pytest.raises(NetworkUnavailable, match="needs the sandbox"):
        node_sandbox(allow_network=True, unsafe_no_sandbox=True)


async def test_network_jobs_are_placed_only_on_nodes_that_allow_network(store: Store) -> None:
    requirements = {"cpu": 1, "memory": 1, "gpu": False, "timeout": 30, "network": True}
    body = job_body(code="print(1)", language="python", requirements=requirements)
    await register_node(store, capabilities={"runtimes": ["python"]})
    first = await jobs.submit(store, body, max_attempts=1)
    assert first.status == "pending" and first.assigned_node_id is None
    open_node = await register_node(store, capabilities={"runtimes": ["python"], "network": True})
    second = await jobs.submit(store, body, max_attempts=1)
    assert second.assigned_node_id == open_node.node_id


async def test_a_node_that_cannot_sandbox_gets_no_code_jobs(store: Store) -> None:
    await register_node(store, capabilities={"runtimes": ["python"], "sandbox": "unavailable"})
    code_job = await jobs.submit(
        store, job_body(code="print(1)", language="python"), max_attempts=1
    )
    data_job = await jobs.submit(
        store,
        job_body(type="data-processing", operation="sum", input={"values": [1]}),
        max_attempts=1,
    )
    assert code_job.status == "pending"
    assert data_job.assigned_node_id is not None
