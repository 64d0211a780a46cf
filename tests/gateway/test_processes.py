"""The gateway as processes: `lcn gateway` and `python -m core.gateway` serving one pool side by
side, and a gateway whose Redis dies under it answering 503 (then recovering)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

from core.config import Settings
from core.gateway import GatewaySettings, create_app
from core.store import connect
from tests import redis_servers
from tests.gateway.live import gateway_process
from tests.gateway.test_api import error_of, register_over_http
from tests.redis_servers import free_port

METRICS_TOKEN = "metrics-token-for-process-tests"
SCRAPER = {"LCN_METRICS_TOKEN": METRICS_TOKEN}


async def test_two_gateway_processes_serve_one_pool(settings: Settings) -> None:
    lcn = [str(Path(sys.executable).parent / "lcn"), "gateway"]
    module = [sys.executable, "-m", "core.gateway"]
    with (
        gateway_process(lcn, settings, free_port(), env=SCRAPER) as first,
        gateway_process(module, settings, free_port(), env=SCRAPER) as second,
    ):
        async with (
            httpx.AsyncClient(base_url=first.url) as a,
            httpx.AsyncClient(base_url=second.url) as b,
        ):
            # A challenge issued by one gateway is answered through the other.
            node = await register_over_http(a, b)
            listed = (await a.get("/lit-compute/nodes")).json()
            assert [n["nodeId"] for n in listed] == [node["nodeId"]]
            scrape = {"Authorization": f"Bearer {METRICS_TOKEN}"}
            first_scrape = await a.get("/metrics", headers=scrape)
            assert first_scrape.status_code == 200
            assert first_scrape.text == (await b.get("/metrics", headers=scrape)).text


async def test_redis_dying_under_a_gateway_gives_503_then_recovers(tmp_path: Path) -> None:
    port = free_port()
    proc = redis_servers.start_server(tmp_path / "redis", port)
    settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", pool="dies", data_dir=tmp_path)
    store = await connect(settings)
    app = create_app(settings, GatewaySettings(), store=store)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            assert (await client.get("/lit-compute/nodes")).status_code == 200
            redis_servers.stop(proc)
            for reply in (
                await client.get("/lit-compute/nodes"),
                await client.post(
                    "/lit-compute/nodes/challenge", json={"pkpAddress": "0x" + "12" * 20}
                ),
            ):
                assert reply.status_code == 503, reply.text
                assert error_of(reply)["code"] == "unavailable"
                assert reply.headers["Retry-After"] == "1"
            health = await client.get("/lit-compute/health")
            assert health.status_code == 503 and health.json()["status"] == "degraded"

            proc = redis_servers.start_server(tmp_path / "redis", port)
            deadline = time.monotonic() + 10
            while (await client.get("/lit-compute/nodes")).status_code != 200:
                assert time.monotonic() < deadline, "the gateway did not recover"
                time.sleep(0.05)
    finally:
        redis_servers.stop(proc)
        await store.close()
