"""A body nested 100,000 deep once killed the gateway (py_ecc, imported by eth_account, raises
the recursion limit to 100,000, so json.loads overflowed the C stack). Such bodies are refused
before any parser sees them, on every endpoint, and the recursion limit stays sane."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from core.config import Settings
from core.store import Store, connect
from tests.gateway.endpoints import World, endpoints, make_world
from tests.gateway.live import GatewayProcess, gateway_process
from tests.gateway.test_api import error_of
from tests.redis_servers import free_port

DEEP = 100_000
DEEP_BODIES = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"0" + b"}" * DEEP,
    "never closed": b"[" * DEEP,
    "inside a field": b'{"pkpAddress": ' + b"[" * DEEP + b"]" * DEEP + b"}",
}
# The gateway as `python -m core.gateway` runs it, but with the recursion limit that py_ecc
# sets, put back after every import: only the depth check stands between a body and the stack.
VULNERABLE_GATEWAY = """
import runpy, sys
import core.gateway.app, core.payments.pkp
sys.setrecursionlimit(100_000)
runpy.run_module("core.gateway", run_name="__main__")
"""


def test_importing_lcn_leaves_a_sane_recursion_limit() -> None:
    probe = (
        "import sys, json\n"
        "import core.gateway.app, core.payments.pkp\n"
        "print(sys.getrecursionlimit())\n"
        "try:\n"
        "    json.loads('[' * 100000 + ']' * 100000)\n"
        "except RecursionError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr  # a C stack overflow would end in SIGSEGV (-11)
    limit, verdict = done.stdout.split()
    assert int(limit) <= 1000 and verdict == "refused"


async def test_a_deep_body_gets_400_on_every_endpoint(
    client: httpx.AsyncClient, store: Store
) -> None:
    world = await make_world(store)
    for endpoint in endpoints():
        for name, body in DEEP_BODIES.items():
            reply = await client.request(
                endpoint.method,
                world.url(endpoint),
                content=body,
                headers={**world.headers(endpoint), "Content-Type": "application/json"},
            )
            assert reply.status_code == 400, (str(endpoint), name, reply.text)
            assert error_of(reply)["code"] == "too_deep"
    assert (await client.get("/lit-compute/health")).status_code == 200


async def test_depth_up_to_the_limit_passes(client: httpx.AsyncClient, store: Store) -> None:
    world = await make_world(store)
    complete = f"/lit-compute/jobs/{world.job_id}/complete"
    session = {"Authorization": f"Bearer {world.session}"}
    body = {"token": world.lease_token, "durationMs": 1}
    # The body is one level deeper than its output.
    too_deep = {**body, "output": json.loads("[" * 64 + "]" * 64)}
    reply = await client.post(complete, json=too_deep, headers=session)
    assert reply.status_code == 400
    assert error_of(reply)["message"] == (
        "The body nests arrays and objects deeper than the gateway's limit of 64 levels."
    )
    # At the limit it passes, and brackets inside strings are text, not nesting.
    deepest = {**body, "output": json.loads("[" * 63 + "]" * 63), "logs": ["[" * DEEP]}
    reply = await client.post(complete, json=deepest, headers=session)
    assert reply.status_code == 200, reply.text


async def test_json_in_utf16_is_refused(client: httpx.AsyncClient) -> None:
    body = json.dumps({"pkpAddress": "0x" + "ab" * 20}).encode("utf-16")
    reply = await client.post(
        "/lit-compute/nodes/challenge", content=body, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert error_of(reply)["message"] == "A JSON body must be encoded in UTF-8."


@pytest.fixture(scope="module")
def vulnerable_gateway(
    redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, World]]:
    settings = Settings(
        redis_url=redis_url, pool="deep-json", data_dir=tmp_path_factory.mktemp("deep")
    )

    async def setup() -> World:
        store = await connect(settings)
        try:
            return await make_world(store)
        finally:
            await store.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # its own event loop
        world = pool.submit(asyncio.run, setup()).result()
    command = [sys.executable, "-c", VULNERABLE_GATEWAY]
    with gateway_process(command, settings, free_port()) as gateway:
        yield gateway, world


async def test_deep_bodies_cannot_kill_a_gateway_process(
    vulnerable_gateway: tuple[GatewayProcess, World],
) -> None:
    gateway, world = vulnerable_gateway
    async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
        for endpoint in endpoints():
            if not endpoint.has_body:
                continue
            reply = await client.request(
                endpoint.method,
                world.url(endpoint),
                content=DEEP_BODIES["arrays"],
                headers={**world.headers(endpoint), "Content-Type": "application/json"},
            )
            assert reply.status_code == 400, (str(endpoint), reply.text)
            assert gateway.alive(), gateway.errors()
            assert (await client.get("/lit-compute/health")).status_code == 200
