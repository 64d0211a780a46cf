"""Hostile jobs, run through a real node and agent: every attack from the isolation issue is
tried from inside a job, in Python and in JavaScript, and each must be blocked, with the
ledger, the node's key, the installed code and Redis untouched afterwards."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import jobs, ledger
from core.identity import new_key, write_key
from core.store import Store
from core.swarm.executors import sandbox, supervisor
from core.swarm.executors.jail import probe
from core.swarm.executors.sandbox import scratch_root
from tests.executors.attacks import DISK_FILLER, FORK_BOMB, memory_hog
from tests.jobfactory import job_body
from tests.swarm.test_agents import swarm, wait_for

pytestmark = pytest.mark.skipif(probe() is not None, reason=f"no sandbox here: {probe()}")

SECRET = "sk_live_attacker_wants_this_0123456789"

# Each probe prints one line "name: outcome"; `ok` means the attack worked.
PY_ATTACKS = r"""
import json, os, socket, sys
targets = json.load(open(os.environ["LCN_INPUT"]))
report = {}

def attempt(name, action):
    try:
        action()
        report[name] = "ok"
    except BaseException as exc:
        report[name] = f"blocked: {type(exc).__name__}"

def connect_tcp(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"PING\r\n")
    s.close()

def connect_unix(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(2)
    s.connect(path)
    s.close()

def find_secret():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if targets["secret"].encode() in open(f"/proc/{pid}/environ", "rb").read():
                    return
            except OSError:
                pass
    if targets["secret"] in json.dumps(dict(os.environ)):
        return
    raise LookupError("no secret in sight")

attempt("read node key", lambda: open(targets["key"]).read())
attempt("list data dir", lambda: os.listdir(targets["data_dir"]))
attempt("redis unix socket", lambda: connect_unix(targets["socket"]))
attempt("redis tcp", lambda: connect_tcp(targets["redis_port"]))
attempt("loopback service", lambda: connect_tcp(targets["listener_port"]))
attempt("agent environ", lambda: open(f"/proc/{targets['agent_pid']}/environ").read())
attempt("secret anywhere", find_secret)
attempt("read /etc/passwd", lambda: open("/etc/passwd").read())
attempt("overwrite supervisor", lambda: open(targets["supervisor"], "a").write("#"))
attempt("write to /usr", lambda: open("/usr/lcn-owned", "w").write("x"))
attempt("other jobs' scratch", lambda: os.listdir(targets["scratch_root"]))
def new_user_namespace():
    import ctypes
    if ctypes.CDLL(None, use_errno=True).unshare(0x10000000) != 0:  # CLONE_NEWUSER
        raise OSError(ctypes.get_errno(), "unshare refused")

attempt("new user namespace", new_user_namespace)
print(json.dumps(report))
"""

JS_ATTACKS = r"""
const fs = require("fs"), net = require("net");
const targets = JSON.parse(fs.readFileSync(process.env.LCN_INPUT));
const report = {};
function attempt(name, action) {
  try { action(); report[name] = "ok"; } catch (e) { report[name] = "blocked: " + e.code; }
}
function connect(options) {
  return new Promise((resolve) => {
    const s = net.connect(options);
    s.setTimeout(2000, () => { s.destroy(); resolve("blocked: timeout"); });
    s.on("connect", () => { s.end(); resolve("ok"); });
    s.on("error", (e) => resolve("blocked: " + e.code));
  });
}
attempt("read node key", () => fs.readFileSync(targets.key));
attempt("list data dir", () => fs.readdirSync(targets.data_dir));
attempt("agent environ", () => fs.readFileSync(`/proc/${targets.agent_pid}/environ`));
attempt("read /etc/passwd", () => fs.readFileSync("/etc/passwd"));
attempt("overwrite supervisor", () => fs.appendFileSync(targets.supervisor, "#"));
attempt("write to /usr", () => fs.writeFileSync("/usr/lcn-owned", "x"));
attempt("other jobs' scratch", () => fs.readdirSync(targets.scratch_root));
attempt("secret in env", () => {
  if (!JSON.stringify(process.env).includes(targets.secret)) throw { code: "ENOSECRET" };
});
(async () => {
  report["redis unix socket"] = await connect({ path: targets.socket });
  report["redis tcp"] = await connect({ host: "127.0.0.1", port: targets.redis_port });
  report["loopback service"] = await connect({ host: "127.0.0.1", port: targets.listener_port });
  console.log(JSON.stringify(report));
})();
"""


class Listener:
    """A loopback TCP service (standing in for the gateway) that records every connection."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def node_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A data dir as a node has one: its key file and a live Unix socket, and a secret in the
    agent's environment."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    key_file = data_dir / "node.key"
    write_key(new_key(), key_file)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(data_dir / "redis.sock"))
    sock.listen()
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET)
    yield {"data_dir": data_dir, "key": key_file, "socket": data_dir / "redis.sock"}
    sock.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def _books(store: Store) -> dict[str, Any]:
    keys = [k async for k in store.redis.scan_iter(match=f"*{{{store.keys.pool}}}*")]
    return {"keys": len(keys), "check": (await ledger.check(store)).balanced}


@pytest.mark.parametrize("language", ["python", "javascript"])
async def test_every_escape_attack_is_blocked(
    store: Store,
    redis_port: int,
    listener: Listener,
    node_secrets: dict[str, Any],
    language: str,
) -> None:
    targets = {
        "key": str(node_secrets["key"]),
        "data_dir": str(node_secrets["data_dir"]),
        "socket": str(node_secrets["socket"]),
        "redis_port": redis_port,
        "listener_port": listener.port,
        "agent_pid": os.getpid(),
        "secret": SECRET,
        "supervisor": str(Path(supervisor.__file__).resolve()),
        "scratch_root": str(scratch_root()),
    }
    key_before = _digest(node_secrets["key"])
    supervisor_before = _digest(Path(supervisor.__file__))
    code = PY_ATTACKS if language == "python" else JS_ATTACKS
    async with swarm(store, agents=1):
        job_id = (
            await jobs.submit(
                store, job_body(code=code, language=language, input=targets), max_attempts=1
            )
        ).job_id
        job = await wait_for(store, job_id)
    assert job.status == "completed", job.error
    report = job.result
    assert isinstance(report, dict) and len(report) >= 10, report
    worked = {name: outcome for name, outcome in report.items() if outcome == "ok"}
    assert worked == {}, f"attacks that worked: {worked}"
    assert listener.connections == 0
    assert _digest(node_secrets["key"]) == key_before
    assert _digest(Path(supervisor.__file__)) == supervisor_before
    assert (await ledger.check(store)).balanced


def _attack(code: str, memory_gb: str = "0.5") -> Any:
    return job_body(
        code=code,
        language="python",
        requirements={"cpu": 1, "memory": memory_gb, "gpu": False, "timeout": 30},
    )


@pytest.mark.parametrize(
    ("code", "named"),
    [
        (FORK_BOMB, "limit of 128 processes"),
        (memory_hog(200), "memory limit of 512 MB"),
        (DISK_FILLER, "scratch limit of 64 MB"),
    ],
    ids=["processes", "memory", "scratch"],
)
async def test_exhaustion_attacks_fail_with_the_limit_named(
    store: Store, code: str, named: str
) -> None:
    before = await _books(store)
    async with swarm(store, agents=1):
        job_id = (await jobs.submit(store, _attack(code), max_attempts=1)).job_id
        job = await wait_for(store, job_id)
        # The node is still healthy: the next job runs normally.
        after_id = (await jobs.submit(store, job_body(), max_attempts=1)).job_id
        after = await wait_for(store, after_id)
    assert job.status == "failed"
    assert named in (job.error or ""), job.error
    assert after.status == "completed", after.error
    assert list(scratch_root().iterdir()) == []
    assert (await _books(store))["check"] == before["check"] is True


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = sandbox.child_pids(todo.pop())
        found += children
        todo += children
    return found


async def test_model_and_data_jobs_run_in_the_sandbox(store: Store) -> None:
    """A data job runs in the agent's worker, whose processes live in namespaces of their own."""
    async with swarm(store, agents=1, kinds=["data-processing"]) as runners:
        body = job_body(type="data-processing", operation="sum", input={"values": [1, 2, 3]})
        job = await wait_for(store, (await jobs.submit(store, body, max_attempts=1)).job_id)
        worker = runners[0].agents[0].worker
        assert worker._proc is not None
        inner = _descendants(worker._proc.pid)[-1]
        for ns in ("mnt", "net", "pid", "user"):
            assert os.readlink(f"/proc/{inner}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")
    assert job.status == "completed" and job.result == 6
