"""Real gateways for tests: a uvicorn server for an app on a free loopback port, in its own
thread (and so its own event loop), and a gateway in its own process; tests talk to either over
real TCP, sync or async."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx
import uvicorn
from fastapi import FastAPI

from core.config import Settings


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and yield its base URL; stop it (lifespan included) after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", proxy_headers=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test gateway did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class GatewayProcess:
    url: str
    proc: subprocess.Popen[bytes]
    stderr: IO[bytes]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def errors(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")


@contextmanager
def gateway_process(
    command: list[str], settings: Settings, port: int, env: dict[str, str] | None = None
) -> Iterator[GatewayProcess]:
    """Run `command --port PORT` (a gateway process) against the settings' Redis and pool, with
    `env` added to the environment, until it answers; stop it after."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"],
            env={
                **os.environ,
                "LCN_REDIS_URL": str(settings.redis_url),
                "LCN_POOL": settings.pool,
                **(env or {}),
            },
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        gateway = GatewayProcess(f"http://127.0.0.1:{port}", proc, stderr)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert gateway.alive(), gateway.errors()
                try:
                    if httpx.get(f"{gateway.url}/lit-compute/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the gateway process did not start"
                time.sleep(0.05)
            yield gateway
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
