"""The embedded Redis's ACL users, against real redis-servers that lcn's own code starts: nobody
gets in without a password, only lcn-admin manages the server, the reader cannot write, and the
agent does its work with its narrow user."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError
from typer.testing import CliRunner

from console.cli import app
from core import jobs
from core.config import Settings
from core.embedded import PID_FILE, SOCKET_NAME, ensure_embedded, redis_server_binary, stop_embedded
from core.errors import SetupError
from core.identity import new_key, write_key
from core.models.job import SubmitJob
from core.reads import snapshot
from core.redis_users import (
    AGENT_SCRIPTS,
    AGENT_WRITE_COMMANDS,
    USERS,
    Role,
    acl_path,
    passwords_path,
)
from core.store import Store, connect, scripts
from core.store.connection import redis_url
from core.swarm.link import RedisLink
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body

REDIS_ENV = ("LCN_REDIS_URL", "REDIS_URL", "KV_URL")


def client(data: Path, role: Role | None = None, **options: Any) -> redis.Redis:
    """A plain redis-py client on the data dir's socket, signed in as `role` (or nobody)."""
    if role is None:
        return redis.Redis(unix_socket_path=str(data / SOCKET_NAME), **options)
    name = USERS[role].name
    password = json.loads(passwords_path(data).read_text())[name]
    return redis.Redis(
        unix_socket_path=str(data / SOCKET_NAME), username=name, password=password, **options
    )


def denials(data: Path, user: str) -> list[str]:
    """What the ACL log says `user` was refused (command or key), oldest first."""
    entries = client(data, "admin", decode_responses=True).acl_log()
    return [f"{e['reason']}:{e['object']}" for e in reversed(entries) if e["username"] == user]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("embedded")
    ensure_embedded(data)
    try:
        yield data
    finally:
        stop_embedded(data)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Path]:
    """A data dir of this test's own; whatever server the test starts in it is stopped after."""
    data = tmp_path / "lcn"
    data.mkdir()
    try:
        yield data
    finally:
        stop_embedded(data)


def settings_for(data: Path, pool: str, user: str = "core") -> Settings:
    return Settings(data_dir=data, pool=pool, embedded_user=user)  # type: ignore[arg-type]


@pytest.fixture
async def core_store(embedded: Path, pool: str) -> AsyncIterator[Store]:
    store = await connect(settings_for(embedded, pool))
    yield store
    await store.close()


# ── nobody without a password ───────────────────────────────────────────────────────────────


def test_the_socket_refuses_a_client_without_a_password(embedded: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
        raw.connect(str(embedded / SOCKET_NAME))
        raw.sendall(b"SET lcn:{x}:minted 5000\r\nMODULE LOAD /tmp/evil.so\r\n")
        time.sleep(0.1)
        replies = raw.recv(256).decode()
    assert replies.count("-NOAUTH") == 2, replies
    with pytest.raises(AuthenticationError):
        client(embedded).ping()
    for name, password in (("default", ""), ("default", "x"), ("lcn-core", "guess")):
        with pytest.raises(AuthenticationError):
            redis.Redis(
                unix_socket_path=str(embedded / SOCKET_NAME), username=name, password=password
            ).ping()
    assert client(embedded, "admin").exists("lcn:{x}:minted") == 0


def test_passwords_are_in_a_private_file_and_nowhere_else(embedded: Path) -> None:
    passwords = json.loads(passwords_path(embedded).read_text())
    assert set(passwords) == {u.name for u in USERS.values()}
    assert len(set(passwords.values())) == 4 and all(len(p) == 64 for p in passwords.values())
    for path in (passwords_path(embedded), acl_path(embedded)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    acl = acl_path(embedded).read_text()
    pid = int((embedded / "redis.pid").read_text())
    command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
    aclfile = client(embedded, "admin", decode_responses=True).config_get("aclfile")["aclfile"]
    assert aclfile == str(acl_path(embedded))
    for password in passwords.values():
        assert password not in acl and password not in command_line
    assert re.search(r"^user default reset off$", acl, re.MULTILINE)


def test_a_world_readable_password_file_is_made_private_again(embedded: Path) -> None:
    os.chmod(passwords_path(embedded), 0o644)
    ensure_embedded(embedded)
    assert stat.S_IMODE(passwords_path(embedded).stat().st_mode) == 0o600


# ── only lcn-admin manages the server ─────────────────────────────────────────────────────────

ADMIN_COMMANDS: list[tuple[str, ...]] = [
    ("MODULE", "LOAD", "/tmp/evil.so"),
    ("MODULE", "LIST"),
    ("DEBUG", "SLEEP", "0"),
    ("CONFIG", "SET", "dir", "/tmp"),
    ("CONFIG", "GET", "dir"),
    ("SHUTDOWN", "NOSAVE"),
    ("ACL", "SETUSER", "intruder", "on", ">pw", "+@all"),
    ("ACL", "LIST"),
    ("REPLICAOF", "127.0.0.1", "1"),
    ("FLUSHALL",),
    ("KEYS", "*"),
    ("CLIENT", "KILL", "TYPE", "normal"),
    ("BGREWRITEAOF",),
]


@pytest.mark.parametrize("role", ["core", "reader", "agent"])
def test_no_lcn_user_but_the_manager_may_administer_the_server(embedded: Path, role: Role) -> None:
    user = client(embedded, role)
    for command in ADMIN_COMMANDS:
        # Valkey (like Redis 7) refuses MODULE and DEBUG to everyone unless the server's
        # configuration enables them; the ACL refuses the rest (and those too on Redis 6.2).
        with pytest.raises(ResponseError, match=r"no permissions|command not allowed"):
            user.execute_command(*command)
    admin = client(embedded, "admin", decode_responses=True)
    assert admin.ping()  # SHUTDOWN was refused
    assert admin.config_get("dir")["dir"] == str(embedded)
    assert not any("intruder" in line for line in admin.acl_list())
    try:
        modules = admin.execute_command("MODULE", "LIST")
    except ResponseError as exc:  # disabled altogether: nobody can have loaded one
        assert "command not allowed" in str(exc)
        modules = []
    names = {dict(zip(m[::2], m[1::2], strict=True))["name"] for m in modules}
    assert names <= {"lua"}  # Valkey 9 lists its built-in Lua engine as a module


def test_the_core_user_cannot_reach_admin_commands_from_a_script(
    embedded: Path, core_store: Store
) -> None:
    core = client(embedded, "core")
    core.set(core_store.keys.prefix + "kept", "1")
    for call in ("redis.call('FLUSHALL')", "redis.call('CONFIG', 'SET', 'dir', '/tmp')"):
        with pytest.raises(ResponseError):
            core.eval(f"return {call}", 0)
    assert core.get(core_store.keys.prefix + "kept") == b"1"


async def test_the_core_user_does_all_the_core_needs(embedded: Path, core_store: Store) -> None:
    client(embedded, "admin").acl_log_reset()
    core = client(embedded, "core")
    assert core.info("server")["redis_version"]
    assert core.client_setname("lcn-test") and core.client_info()["user"] == "lcn-core"
    sha = core.script_load("return redis.call('INCR', KEYS[1])")
    assert core.evalsha(sha, 1, core_store.keys.prefix + "n") == 1
    assert core.eval("return redis.call('INCR', KEYS[1])", 1, core_store.keys.prefix + "n") == 2
    node = await register_node(core_store)
    placed = await jobs.submit(core_store, job_body(), max_attempts=3)
    assert placed.assigned_node_id == node.node_id
    assert denials(embedded, "lcn-core") == []


def test_the_manager_may_administer(embedded: Path) -> None:
    admin = client(embedded, "admin", decode_responses=True)
    assert admin.config_get("appendonly")["appendonly"] == "yes"
    assert {u.name for u in USERS.values()} <= set(admin.acl_users())
    assert "default" in admin.acl_users() and not admin.acl_getuser("default")["enabled"]


# ── the reader cannot write ───────────────────────────────────────────────────────────────────


async def test_the_reader_cannot_write_directly_or_through_a_script(
    embedded: Path, core_store: Store
) -> None:
    node = await register_node(core_store)
    placed = await jobs.submit(core_store, job_body(), max_attempts=3)
    job_key = core_store.keys.job(placed.job_id)
    before = client(embedded, "core").hgetall(job_key)
    reader = client(embedded, "reader")
    for command in (
        ("SET", core_store.keys.prefix + "minted", "5000"),
        ("HSET", job_key, "status", "completed"),
        ("HINCRBY", core_store.keys.balances, "node:" + node.node_id, 5_000_000_000),
        ("DEL", job_key),
        ("EVAL", "return 1", "0"),
    ):
        with pytest.raises(NoPermissionError):
            reader.execute_command(*command)
    # lcn's own writing script, loaded and called the way the core calls it: refused at its
    # first write, so it writes nothing.
    reader.script_load(scripts.script_source("cancel_job"))
    with pytest.raises(ResponseError, match=r"can't run this command|no permissions"):
        reader.evalsha(scripts.sha_of("cancel_job"), 1, job_key, core_store.keys.prefix, "x")
    # A script of its own fares no better.
    sha = reader.script_load("return redis.call('HINCRBY', KEYS[1], 'x', 1)")
    with pytest.raises(ResponseError, match=r"can't run this command|no permissions"):
        reader.evalsha(sha, 1, core_store.keys.balances)
    assert client(embedded, "core").hgetall(job_key) == before
    assert client(embedded, "core").exists(core_store.keys.prefix + "minted") == 0
    # It reads lcn's keys only.
    client(embedded, "core").set("elsewhere", "1")
    with pytest.raises(NoPermissionError):
        reader.get("elsewhere")


async def test_the_console_polls_as_the_reader(embedded: Path, core_store: Store) -> None:
    node = await register_node(core_store)
    placed = await jobs.submit(core_store, job_body(), max_attempts=3)
    client(embedded, "admin").acl_log_reset()
    reader = await connect(settings_for(embedded, core_store.pool, "reader"))
    try:
        assert "lcn-reader:" in reader.url
        view = snapshot.ViewRequest(
            nodes=snapshot.NodeWindow(),
            jobs=snapshot.JobWindow(),
            agents=snapshot.AgentWindow(),
            map=snapshot.MapWindow(width=80, height=20),
            earnings=snapshot.NodeWindow(),
            job_detail=placed.job_id,
            node_detail=node.node_id,
        )
        seen = await snapshot.poll(reader, view)
        assert placed.job_id in {row.job_id for row in seen.jobs.rows}  # type: ignore[union-attr]
        assert node.node_id in {row.node_id for row in seen.nodes.rows}  # type: ignore[union-attr]
    finally:
        await reader.close()
    assert denials(embedded, "lcn-reader") == []


def test_lcn_console_read_only_signs_in_as_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    import console.app

    used: list[Settings] = []
    monkeypatch.setattr(console.app, "run_console", lambda settings, **_: used.append(settings))
    assert CliRunner().invoke(app, ["console", "--read-only"]).exit_code == 0
    assert CliRunner().invoke(app, ["console"]).exit_code == 0
    assert [s.embedded_user for s in used] == ["reader", "core"]


# ── the agent does its work with its narrow user ──────────────────────────────────────────────


async def test_an_agent_works_a_node_with_the_agent_user(embedded: Path, core_store: Store) -> None:
    client(embedded, "admin").acl_log_reset()
    agent_store = await connect(settings_for(embedded, core_store.pool, "agent"))
    try:
        assert "lcn-agent:" in agent_store.url
        node = await register_node(agent_store)
        link = RedisLink(agent_store, node.node_id)
        await link.node_heartbeat()
        await link.register_agent("a-1", ["code-execution"], [])
        placed = [await jobs.submit(core_store, job_body(), max_attempts=3) for _ in range(3)]
        assert {p.assigned_node_id for p in placed} == {node.node_id}
        outcomes: dict[str, str] = {}
        for outcome in ("completed", "failed", "handed back"):
            claim = await link.claim("a-1", ["code-execution"], 30)
            assert claim is not None
            await link.agent_report("a-1", "working", claim.job_id)
            await link.extend(claim.job_id, claim.token, 30)
            if outcome == "completed":  # big enough to be kept as a blob beside the job
                await link.complete(
                    claim.job_id, claim.token, duration_ms=1500, output="x" * 70_000, logs=["ok"]
                )
            elif outcome == "failed":
                await link.fail(claim.job_id, claim.token, error="exit 1", logs=[], retryable=False)
            else:
                await link.hand_back(claim.job_id, claim.token, "Its node shut down.")
            await link.agent_report("a-1", "idle", "", "done")
            outcomes[claim.job_id] = outcome
        statuses = {
            outcomes[p.job_id]: (await jobs.get_job(core_store, p.job_id)).status for p in placed
        }
        assert statuses["completed"] == "completed" and statuses["failed"] == "failed"
        assert statuses["handed back"] in ("pending", "assigned")
    finally:
        await agent_store.close()
    assert denials(embedded, "lcn-agent") == []


async def test_lcn_node_run_signs_in_as_the_agent_user(
    embedded: Path, core_store: Store, tmp_path: Path
) -> None:
    """The real command in its own process: it registers, takes a job and finishes it."""
    client(embedded, "admin").acl_log_reset()
    key_file = tmp_path / "node.key"
    write_key(new_key(), key_file)
    env = {k: v for k, v in os.environ.items() if k not in REDIS_ENV}
    env.update(LCN_DATA_DIR=str(embedded), LCN_POOL=core_store.pool)
    node_cmd = "from console.cli import app; app()"
    argv = ["node", "run", "--key", str(key_file), "--agents", "1"]
    argv += ["--specialize", "data-processing", "--grace", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-c", node_cmd, *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        admin = client(embedded, "admin", decode_responses=True)
        deadline = time.monotonic() + 30
        while not await core_store.redis.zcard(core_store.keys.nodes_all):
            assert time.monotonic() < deadline and proc.poll() is None, "the node never registered"
            await asyncio.sleep(0.1)
        assert "lcn-agent" in {c["user"] for c in admin.client_list()}
        body = SubmitJob.model_validate(
            {
                "creatorPKP": CREATOR,
                "task": {
                    "type": "data-processing",
                    "operation": "word-count",
                    "input": {"text": "a b a"},
                    "requirements": {"cpu": 1, "memory": 1, "gpu": False, "timeout": 30},
                },
            }
        )
        job_id = (await jobs.submit(core_store, body, max_attempts=3)).job_id
        while (job := await jobs.get_job(core_store, job_id)).status not in ("completed", "failed"):
            assert time.monotonic() < deadline, f"the job is still {job.status}"
            await asyncio.sleep(0.1)
        assert job.status == "completed", job.error
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=20)[0].decode()
    assert proc.returncode == 0, output
    # It said once, at start, how it isolates jobs.
    assert output.count("sandbox: bubblewrap, no network") == 1, output
    assert denials(embedded, "lcn-agent") == []


def test_the_agent_user_has_no_deletes_no_arbitrary_lua_and_no_other_keys(
    embedded: Path, pool: str
) -> None:
    agent = client(embedded, "agent")
    prefix = f"lcn:{{{pool}}}:"
    client(embedded, "core").set(prefix + "kept", "1")
    client(embedded, "core").set("elsewhere", "1")
    for command in (
        ("DEL", prefix + "kept"),
        ("UNLINK", prefix + "kept"),
        ("RENAME", prefix + "kept", prefix + "moved"),
        ("FLUSHDB",),
        ("EVAL", "return 1", "0"),
        ("GET", "elsewhere"),
        ("SET", "elsewhere", "2"),
        ("SUBSCRIBE", "anything"),
    ):
        with pytest.raises(NoPermissionError):
            agent.execute_command(*command)
    assert client(embedded, "core").get(prefix + "kept") == b"1"


def test_the_agent_user_may_run_every_command_the_agent_scripts_call(embedded: Path) -> None:
    admin = client(embedded, "admin", decode_responses=True)
    readable = set(admin.acl_cat("read")) - set(admin.acl_cat("dangerous"))
    allowed = readable | set(AGENT_WRITE_COMMANDS) | {"time"}
    for name in AGENT_SCRIPTS:
        called = {
            c.lower() for c in re.findall(r"redis\.p?call\('(\w+)'", scripts.script_source(name))
        }
        assert called and called <= allowed, (name, called - allowed)


def test_the_agent_user_limit_is_its_commands_not_its_scripts(embedded: Path, pool: str) -> None:
    """Documented in README: Redis ACLs cannot tie a user to particular scripts, so the agent
    user can send the agent scripts' write commands directly. The sandbox keeps jobs from it."""
    agent = client(embedded, "agent")
    assert agent.hincrby(f"lcn:{{{pool}}}:balances", "documented-limit", 1) == 1


# ── upgrades, damage and external Redis ───────────────────────────────────────────────────────


def _old_style_server(data: Path) -> None:
    """A server as lcn started it before it had users: no ACL file, an open default user."""
    subprocess.run(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(data / SOCKET_NAME),
            "--unixsocketperm",
            "700",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--daemonize",
            "yes",
            "--pidfile",
            str(data / "redis.pid"),
            "--logfile",
            str(data / "redis.log"),
            "--save",
            "",
        ],
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client(data).ping()
            return
        except redis.ConnectionError:
            time.sleep(0.02)
    raise RuntimeError("the old-style redis-server did not start")


def test_a_server_started_before_users_gets_them_and_keeps_its_data(fresh: Path) -> None:
    _old_style_server(fresh)
    client(fresh).set("lcn:{old}:job", "kept")
    url = ensure_embedded(fresh)
    assert url.startswith("unix://lcn-core:")
    with pytest.raises(AuthenticationError):
        client(fresh).ping()
    assert redis.Redis.from_url(url).get("lcn:{old}:job") == b"kept"
    assert stat.S_IMODE(passwords_path(fresh).stat().st_mode) == 0o600
    with pytest.raises(NoPermissionError):
        client(fresh, "core").config_get("dir")


def test_an_old_data_dir_without_passwords_starts_with_users(fresh: Path) -> None:
    _old_style_server(fresh)
    client(fresh).set("lcn:{old}:job", "kept")
    client(fresh).shutdown()
    assert not passwords_path(fresh).exists()
    url = ensure_embedded(fresh)
    assert redis.Redis.from_url(url).get("lcn:{old}:job") == b"kept"
    with pytest.raises(AuthenticationError):
        client(fresh).ping()


def test_changed_rules_reach_a_running_server(fresh: Path) -> None:
    ensure_embedded(fresh)
    admin = client(fresh, "admin")
    admin.execute_command("ACL", "SETUSER", "lcn-core", "+@all")  # rules an older lcn set
    client(fresh, "core").config_get("dir")
    acl_path(fresh).write_text("stale\n")
    ensure_embedded(fresh)
    with pytest.raises(NoPermissionError):
        client(fresh, "core").config_get("dir")


def test_a_server_that_refuses_the_passwords_is_one_sentence(fresh: Path) -> None:
    ensure_embedded(fresh)
    kept = passwords_path(fresh).read_text()
    passwords_path(fresh).unlink()
    try:
        with pytest.raises(SetupError, match=r"refuses the passwords in .*: stop it") as refused:
            ensure_embedded(fresh)
        assert str(refused.value).count(". ") == 0
    finally:
        passwords_path(fresh).write_text(kept)
        os.chmod(passwords_path(fresh), 0o600)
        acl_path(fresh).unlink()  # rewritten from the restored passwords
    ensure_embedded(fresh)


def test_a_server_still_loading_is_waited_for_never_started_twice(fresh: Path) -> None:
    """A server that runs but does not answer (here frozen; in life, loading a large AOF) is
    waited for past the start timeout: a second one beside it would write the same files."""
    url = ensure_embedded(fresh)
    pid = int((fresh / PID_FILE).read_text())
    os.kill(pid, signal.SIGSTOP)
    thawed = threading.Timer(5, os.kill, (pid, signal.SIGCONT))
    thawed.start()
    try:
        assert ensure_embedded(fresh, timeout_s=0.5) == url
    finally:
        thawed.cancel()
        os.kill(pid, signal.SIGCONT)
    assert int((fresh / PID_FILE).read_text()) == pid
    servers = subprocess.run(
        ["pgrep", "-f", f"unixsocket.*{fresh / SOCKET_NAME}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert servers.stdout.split() == [str(pid)]


def test_a_damaged_password_file_is_one_sentence(fresh: Path) -> None:
    passwords_path(fresh).write_text("{not json")
    with pytest.raises(SetupError, match="is damaged: delete it"):
        ensure_embedded(fresh)
    assert not (fresh / SOCKET_NAME).exists()
    passwords_path(fresh).unlink()


def test_a_configured_redis_keeps_its_url_and_credentials(tmp_path: Path) -> None:
    url = "redis://operator:s3cret@127.0.0.1:6390/2"
    data = tmp_path / "never"
    for user in ("core", "reader", "agent"):
        settings = Settings(redis_url=url, data_dir=data, embedded_user=user)  # type: ignore[arg-type]
        assert redis_url(settings) == (url, False)
    assert not data.exists()


# ── the whole network on the embedded Redis ───────────────────────────────────────────────────


def test_the_demo_runs_end_to_end_on_the_embedded_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in REDIS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LCN_POOL", raising=False)
    data = tmp_path / "lcn"
    monkeypatch.setenv("LCN_DATA_DIR", str(data))
    try:
        result = CliRunner().invoke(app, ["demo", "--headless", "--duration", "10", "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["jobsCompleted"] > 0 and summary["ledgerBalanced"] is True
        assert {
            e["username"] for e in client(data, "admin", decode_responses=True).acl_log()
        } == set()
        with pytest.raises(AuthenticationError):
            client(data).ping()
    finally:
        stop_embedded(data)
