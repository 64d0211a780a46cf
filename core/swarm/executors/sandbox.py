"""Runs one untrusted program in a throwaway directory and makes sure all of it goes away.

The program runs under supervisor.py (see there for why), in a fresh temporary directory that
is its cwd, HOME and TMPDIR, with an environment holding nothing of the node's (no secrets, no
PYTHONPATH), and with stdout/stderr read concurrently so a chatty program never blocks on a full
pipe. Whatever happens (exit, crash, timeout, cancel, or the calling task being cancelled) every
process of the job is killed and reaped and the directory is removed before this returns.

This is containment for honest mistakes and resource exhaustion, not a security boundary: the
job runs as the node's user and can read what that user can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.swarm.executors.outcome import Limits
from core.swarm.executors.supervisor import child_pids

SUPERVISOR = Path(__file__).with_name("supervisor.py")
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
SCRATCH_PREFIX = "lcn-job-"
SCRATCH_ROOT_PREFIX = "lcn-scratch-"


def scratch_root() -> Path:
    """This process's directory of job scratch directories. It is named by our pid so that a
    process killed before it could clean up leaves something `sweep_stale_scratch` can find."""
    root = Path(tempfile.gettempdir()) / f"{SCRATCH_ROOT_PREFIX}{os.getpid()}"
    root.mkdir(mode=0o700, exist_ok=True)
    return root


def sweep_stale_scratch() -> int:
    """Remove the scratch of lcn processes that no longer exist (run when a node starts)."""
    removed = 0
    for root in Path(tempfile.gettempdir()).glob(f"{SCRATCH_ROOT_PREFIX}*"):
        try:
            pid = int(root.name.removeprefix(SCRATCH_ROOT_PREFIX))
            os.kill(pid, 0)
        except ProcessLookupError:
            remove_tree(root)
            removed += 1
        except (ValueError, PermissionError):
            continue  # not ours, or another user's live process
    return removed


# How long the supervisor gets to clean up after SIGTERM before we kill it ourselves.
GRACE_S = 5.0
_CHUNK = 64 * 1024

Stop = Literal["timeout", "cancelled"]


@dataclass(frozen=True)
class SandboxRun:
    """What the program did. `returncode` is negative (-signal) when a signal killed it."""

    returncode: int
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    stopped: Stop | None


class _Capture:
    """Keeps the first `cap` bytes of a stream and drains the rest, so the writer never blocks.

    Fills in place rather than returning, so what was read survives the reader being cancelled.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.truncated = False

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while chunk := await stream.read(_CHUNK):
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]
            if len(chunk) > room:
                self.truncated = True


async def run_sandboxed(
    argv: Sequence[str],
    *,
    files: Mapping[str, bytes],
    path_env: Mapping[str, str],
    rlimits: Mapping[str, tuple[int, int]],
    limits: Limits,
    cancel: asyncio.Event | None = None,
) -> SandboxRun:
    """Run `argv` with `files` written into its scratch directory.

    `path_env` maps environment variables to file names in the scratch directory, for telling
    the program where its files are. `rlimits` maps resource.RLIMIT_* names to (soft, hard).
    """
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=scratch_root()))
    try:
        for name, content in files.items():
            (scratch / name).write_bytes(content)
        env = {"PATH": SAFE_PATH, "HOME": str(scratch), "TMPDIR": str(scratch), "LANG": "C.UTF-8"}
        env.update({var: str(scratch / name) for var, name in path_env.items()})
        return await _supervise(argv, scratch, env, rlimits, limits, cancel)
    finally:
        remove_tree(scratch)


async def _supervise(
    argv: Sequence[str],
    scratch: Path,
    env: dict[str, str],
    rlimits: Mapping[str, tuple[int, int]],
    limits: Limits,
    cancel: asyncio.Event | None,
) -> SandboxRun:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        "-S",
        "-B",
        str(SUPERVISOR),
        str(os.getpid()),  # the agent: if it is gone by the time the supervisor runs, stop
        json.dumps({name: list(pair) for name, pair in rlimits.items()}),
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=scratch,
        env=env,
        start_new_session=True,
    )
    out, err = _Capture(limits.max_output_bytes), _Capture(limits.max_output_bytes)
    readers = [
        asyncio.create_task(out.drain(proc.stdout)),
        asyncio.create_task(err.drain(proc.stderr)),
    ]
    try:
        stopped = await _wait_or_stop(proc, limits.timeout_s, cancel)
    finally:
        if proc.returncode is None:  # we are being cancelled, or something raised
            await _stop(proc)
        await _finish(readers)
    assert proc.returncode is not None
    return SandboxRun(
        returncode=proc.returncode,
        stdout=bytes(out.data),
        stderr=bytes(err.data),
        stdout_truncated=out.truncated,
        stderr_truncated=err.truncated,
        stopped=stopped,
    )


async def _wait_or_stop(
    proc: asyncio.subprocess.Process, timeout_s: float, cancel: asyncio.Event | None
) -> Stop | None:
    exited = asyncio.create_task(proc.wait())
    watched: set[asyncio.Future[Any]] = {exited}
    if cancel is not None:
        watched.add(asyncio.create_task(cancel.wait()))
    try:
        await asyncio.wait(watched, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in watched:
            task.cancel()
    if exited.done() and not exited.cancelled():
        return None
    reason: Stop = "cancelled" if cancel is not None and cancel.is_set() else "timeout"
    await _stop(proc)
    return reason


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """Ask the supervisor to kill and reap the job; kill everything ourselves if it won't."""
    jobs = child_pids(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGTERM)
            # In case the job stopped its supervisor: a stopped process handles no signal.
            os.kill(proc.pid, signal.SIGCONT)
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), GRACE_S)
    except TimeoutError:
        # The supervisor is stuck (stopped by the job, say): kill the job's group and it.
        for pgid in child_pids(proc.pid) or jobs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()


async def _finish(readers: list[asyncio.Task[None]]) -> None:
    # The pipes close once every process of the job is gone; only a process that escaped
    # the supervisor could keep them open, and we do not wait on that forever.
    _, pending = await asyncio.wait(readers, timeout=GRACE_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def remove_tree(path: Path) -> None:
    """Remove a scratch directory even if the job made parts of it read-only."""
    shutil.rmtree(path, ignore_errors=True)
    if not path.exists():
        return
    for root, dirs, _ in os.walk(path):
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), stat.S_IRWXU)
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IRWXU)
    shutil.rmtree(path, ignore_errors=True)
