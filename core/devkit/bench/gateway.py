"""`lcn bench gateway`: submit + get through a real gateway process on loopback, at a fixed
concurrency (one keep-alive connection per concurrent client), from a load generator in this
process. The default client speaks HTTP/1.1 itself: httpx spends milliseconds of CPU per request
on this kind of machine and would measure itself (`--client httpx` shows it).

The gateway runs as its own process (`python -m core.gateway`), so the load generator and the
server do not share an interpreter lock, against a throwaway pool: a private redis-server in a
temporary directory when no Redis is configured, else a fresh pool on the configured Redis whose
keys are deleted afterwards. The run is bounded in time and in requests. Nothing is asserted:
the figures are printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from core import apikeys, registry
from core.config import Settings
from core.embedded import ensure_embedded, stop_embedded
from core.errors import SetupError
from core.identity import new_key
from core.models.node import RegisterNode
from core.store import Store, connect

SUBMIT_BODY = {
    "creatorPKP": "0x" + "ab" * 20,
    "task": {
        "type": "code-execution",
        "code": 'console.log("Hello from Lit Compute!");',
        "input": {},
        "requirements": {"cpu": 1, "memory": 2, "gpu": False, "timeout": 30},
    },
}
SEED_NODES = 16
WARMUP_PAIRS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latency(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(_percentile(values, 0.50) * 1000, 2),
        "p99": round(_percentile(values, 0.99) * 1000, 2),
    }


async def _seed(store: Store) -> str:
    """Nodes with room for every benchmark job, and an operator API key."""
    for _ in range(SEED_NODES):
        key = new_key()
        challenge = await registry.issue_challenge(store, key.address, 60)
        await registry.register(
            store,
            RegisterNode.model_validate(
                {
                    "pkpAddress": key.address,
                    "publicKey": key.public_key,
                    "capabilities": {"cpu": 1024, "memory": 65536, "runtimes": ["javascript"]},
                    "location": {"region": "bench", "lat": 0, "lon": 0},
                    "nonce": challenge.nonce,
                    "signature": key.sign(challenge.message),
                }
            ),
        )
    _, secret = await apikeys.create(store, "bench")
    return secret


def _start_gateway(url: str, pool: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LCN_REDIS_URL": url,
        "LCN_POOL": pool,
        "LCN_GATEWAY_RATE": str(10**9),
        "LCN_GATEWAY_NODE_RATE": str(10**9),
    }
    command = [sys.executable, "-m", "core.gateway", "--port", str(port)]
    command += ["--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def _wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode()[-500:] if proc.stderr else ""
                raise SetupError(f"The benchmark gateway exited at start: {err.strip()}")
            try:
                if (await client.get("/lit-compute/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SetupError(f"The benchmark gateway did not answer within {timeout_s:.0f} s.")


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client over one loopback connection (JSON bodies with a
    Content-Length only). It costs a few tens of microseconds per request where httpx costs
    milliseconds, so the figures measure the gateway rather than the load generator."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> RawConnection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        raw_head = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class HttpxConnection:
    """The same requests through httpx, for comparison (`--client httpx`)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @classmethod
    async def open(cls, port: int) -> HttpxConnection:
        return cls(httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30))

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        extra = dict(line.split(": ", 1) for line in headers.split("\r\n") if line)
        if body:
            extra["Content-Type"] = "application/json"
        reply = await self.client.request(method, path, content=body or None, headers=extra)
        return reply.status_code, reply.content

    async def close(self) -> None:
        await self.client.aclose()


async def _load(
    port: int, api_key: str, concurrency: int, seconds: float, max_requests: int, client: str
) -> dict[str, Any]:
    submit_lat: list[float] = []
    get_lat: list[float] = []
    errors = 0
    issued = 0
    body = json.dumps(SUBMIT_BODY).encode()
    auth = f"Authorization: Bearer {api_key}\r\n"
    kind = RawConnection if client == "raw" else HttpxConnection
    connections = [await kind.open(port) for _ in range(concurrency)]

    async def pair(conn: RawConnection | HttpxConnection, record: bool) -> None:
        nonlocal errors
        start = time.perf_counter()
        status, reply = await conn.request("POST", "/lit-compute/jobs/submit", body, auth)
        middle = time.perf_counter()
        if status != 200:
            errors += 1
            return
        job_path = f"/lit-compute/jobs/{json.loads(reply)['jobId']}"
        status, _ = await conn.request("GET", job_path, headers=auth)  # the whole job
        end = time.perf_counter()
        if status != 200:
            errors += 1
        if record:
            submit_lat.append(middle - start)
            get_lat.append(end - middle)

    try:
        for _ in range(WARMUP_PAIRS // concurrency + 1):
            await asyncio.gather(*(pair(conn, False) for conn in connections))
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(conn: RawConnection | HttpxConnection) -> None:
            nonlocal issued
            while time.perf_counter() < deadline and issued + 2 <= max_requests:
                issued += 2
                await pair(conn, True)

        await asyncio.gather(*(worker(conn) for conn in connections))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(conn.close() for conn in connections))
    requests = len(submit_lat) + len(get_lat)
    return {
        "client": client,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "errors": errors,
        "requestsPerSecond": round(requests / elapsed, 1) if elapsed else 0.0,
        "submitsPerSecond": round(len(submit_lat) / elapsed, 1) if elapsed else 0.0,
        "latencyMs": {
            "submit": _latency(submit_lat),
            "get": _latency(get_lat),
            "all": _latency(submit_lat + get_lat),
        },
    }


async def _drop_pool(store: Store) -> None:
    async for key in store.redis.scan_iter(match=store.keys.every_key, count=1000):
        await store.redis.unlink(key)


async def run_gateway_bench(
    settings: Settings,
    *,
    concurrency: int = 16,
    seconds: float = 10.0,
    max_requests: int = 200_000,
    gateway_workers: int = 1,
    client: str = "raw",
) -> dict[str, Any]:
    private_dir: Path | None = None
    if settings.redis_url:
        url, where = settings.redis_url, "configured Redis"
    else:
        private_dir = Path(tempfile.mkdtemp(prefix="lcn-bench-"))
        url, where = await asyncio.to_thread(ensure_embedded, private_dir), "private redis-server"
    pool = f"bench-gw-{secrets.token_hex(4)}"
    store = await connect(settings.model_copy(update={"redis_url": url, "pool": pool}))
    proc: subprocess.Popen[bytes] | None = None
    try:
        api_key = await _seed(store)
        port = _free_port()
        proc = _start_gateway(url, pool, port, gateway_workers)
        await _wait_healthy(f"http://127.0.0.1:{port}", proc)
        figures = await _load(port, api_key, concurrency, seconds, max_requests, client)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                await asyncio.to_thread(proc.wait, 15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if private_dir is None:
            await _drop_pool(store)
        await store.close()
        if private_dir is not None:
            await asyncio.to_thread(stop_embedded, private_dir)
            shutil.rmtree(private_dir, ignore_errors=True)
    return {
        "benchmark": "gateway",
        "redis": where,
        "concurrency": concurrency,
        "gatewayWorkers": gateway_workers,
        **figures,
    }


def render(report: dict[str, Any]) -> str:
    lat = report["latencyMs"]
    lines = [
        f"gateway bench: submit + get, concurrency {report['concurrency']}, "
        f"{report['gatewayWorkers']} gateway worker(s), {report['client']} client, "
        f"{report['redis']}",
        f"  {report['requests']} requests in {report['seconds']} s, {report['errors']} errors",
        f"  {report['requestsPerSecond']:,.1f} requests/s ({report['submitsPerSecond']:,.1f} "
        "submits/s)",
        "  latency ms      p50      p99",
    ]
    for name in ("submit", "get", "all"):
        lines.append(f"  {name:<10} {lat[name]['p50']:>8} {lat[name]['p99']:>8}")
    return "\n".join(lines)
