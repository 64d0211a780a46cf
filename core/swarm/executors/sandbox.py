"""Runs one untrusted program in its sandbox and makes sure all of it goes away.

The program runs under supervisor.py (see there for why) inside bubblewrap (see jail.py for
the walls), with a control group per job (cgroups.py) for its memory and process count, and
with stdout/stderr read concurrently so a chatty program never blocks on a full pipe.
Whatever happens (exit, crash, timeout, cancel, a limit, or the calling task being cancelled)
every process of the job is killed and reaped, and its host directory (the input files it
sees read-only) is removed before this returns.

Only a node started with `--unsafe-no-sandbox` runs programs without bubblewrap: then this is
containment for honest mistakes, not a security boundary (the job runs as the node's user).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.swarm.executors import cgroups
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.jail import JOB_DIR, Jail, base_env, bwrap_binary
from core.swarm.executors.outcome import Limits
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.executors.supervisor import child_pids

SUPERVISOR = Path(__file__).with_name("supervisor.py")
LIMIT_FILE = ".lcn-limit"
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


_MIB = 1024 * 1024
_SIGNALLED = 128
_SETUP_TRIES = 3
# bwrap's own set-up failures happen within milliseconds of its start.
_SETUP_FAILS_WITHIN_S = 0.5
# How long the supervisor gets to clean up after SIGTERM before we kill it ourselves.
GRACE_S = 5.0
_CHUNK = 64 * 1024

Stop = Literal["timeout", "cancelled"]
Limit = Literal["memory", "processes"]


@dataclass(frozen=True)
class SandboxRun:
    """What the program did. `returncode` is negative (-signal) when a signal killed it."""

    returncode: int
    stdout: bytes
    stderr: bytes
    stdout_truncated: bool
    stderr_truncated: bool
    stopped: Stop | None
    limit: Limit | None = None  # the whole-tree limit the job ran into, if any


# Called with each line a running program writes (without its newline), as it comes.
OnLine = Callable[[bytes], None]
# Called with the stream ("stdout" or "stderr") and the line.
OnOutput = Callable[[str, bytes], None]


class _Capture:
    """Keeps the first `cap` bytes of a stream and drains the rest, so the writer never blocks.

    Fills in place rather than returning, so what was read survives the reader being cancelled.
    With `on_line`, each complete line of the kept bytes is also handed over as it arrives (a
    last line without a newline when the stream ends), so the whole of what is streamed is
    bounded by `cap` as the kept output is.
    """

    def __init__(self, cap: int, on_line: OnLine | None = None) -> None:
        self.cap = cap
        self.data = bytearray()
        self.truncated = False
        self.on_line = on_line
        self._line_start = 0  # where the line not yet handed over starts in `data`

    async def drain(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while chunk := await stream.read(_CHUNK):
            room = self.cap - len(self.data)
            if room > 0:
                self.data += chunk[:room]
                self._hand_over_lines()
            if len(chunk) > room:
                self.truncated = True
        self._hand_over_lines(final=True)

    def _hand_over_lines(self, final: bool = False) -> None:
        if self.on_line is None:
            return
        while (end := self.data.find(b"\n", self._line_start)) >= 0:
            self.on_line(bytes(self.data[self._line_start : end]))
            self._line_start = end + 1
        if final and self._line_start < len(self.data):
            self.on_line(bytes(self.data[self._line_start :]))
            self._line_start = len(self.data)


async def run_sandboxed(
    argv: Sequence[str],
    *,
    files: Mapping[str, bytes],
    path_env: Mapping[str, str],
    rlimits: Mapping[str, tuple[int, int]],
    limits: Limits,
    policy: SandboxPolicy,
    runtime_paths: Sequence[str] = (),
    network: bool = False,
    cancel: asyncio.Event | None = None,
    on_output: OnOutput | None = None,
) -> SandboxRun:
    """Run `argv` with `files` in its working directory.

    `path_env` maps environment variables to file names there, for telling the program where
    its files are. `rlimits` maps resource.RLIMIT_* names to (soft, hard). `runtime_paths` are
    the host paths the program needs to run, bound read-only at the same place. `network` asks
    for outbound network, which `policy` must allow. `on_output` gets each line the program
    writes while it runs (within the output cap), for a node to send on as it comes.
    """
    host_dir = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=scratch_root()))
    group: cgroups.JobGroup | None = None
    try:
        for name, content in files.items():
            (host_dir / name).write_bytes(content)
        config: dict[str, Any] = {"rlimits": {k: list(v) for k, v in rlimits.items()}}
        if policy.isolate:
            jail = _jail(policy, limits, host_dir, files, path_env, runtime_paths, network)
            command = jail.argv(argv)
            env = base_env()
            group = await asyncio.to_thread(
                cgroups.create, (limits.memory_mb + limits.scratch_mb) * _MIB, limits.max_processes
            )
            if network:
                config["slirp4netns"] = policy.slirp4netns
        else:
            command = list(argv)
            env = {**base_env(), "HOME": str(host_dir), "TMPDIR": str(host_dir)}
            env.update({var: str(host_dir / name) for var, name in path_env.items()})
        if group is not None:
            config["cgroup_procs"] = group.procs
        else:
            config["watch"] = {
                "memory_bytes": (limits.memory_mb + limits.scratch_mb) * _MIB,
                "max_processes": limits.max_processes,
            }
            config["limit_file"] = str(host_dir / LIMIT_FILE)
        for _ in range(_SETUP_TRIES):
            started = time.monotonic()
            run = await _supervise(command, host_dir, env, config, limits, cancel, on_output)
            if not (policy.isolate and _setup_failed(run, time.monotonic() - started)):
                break
        limit = group.exceeded() if group is not None else _read_limit(host_dir / LIMIT_FILE)
        returncode = run.returncode
        if policy.isolate and _SIGNALLED < returncode < _SIGNALLED + 65:
            # bwrap reports a program killed by signal N as exit code 128+N, as shells do.
            returncode = _SIGNALLED - returncode
        return dataclasses.replace(run, limit=limit, returncode=returncode)
    finally:
        if group is not None:
            await asyncio.to_thread(group.kill_and_remove)
        remove_tree(host_dir)


def _jail(
    policy: SandboxPolicy,
    limits: Limits,
    host_dir: Path,
    files: Mapping[str, bytes],
    path_env: Mapping[str, str],
    runtime_paths: Sequence[str],
    network: bool,
) -> Jail:
    bwrap = bwrap_binary()
    if bwrap is None:
        raise ExecutionError("This node cannot sandbox jobs: bubblewrap is not installed.")
    if network and not policy.allow_network:
        raise ExecutionError("This node does not allow jobs network access.")
    return Jail(
        bwrap=bwrap,
        scratch_bytes=limits.scratch_mb * _MIB,
        read_only=tuple(runtime_paths),
        files={name: host_dir / name for name in files},
        env={var: f"{JOB_DIR}/{name}" for var, name in path_env.items()},
        network=network,
    )


def _setup_failed(run: SandboxRun, took_s: float) -> bool:
    """bwrap itself failed before the program started (it says so on stderr, prefixed
    "bwrap:"). Seen now and then under load, e.g. "loopback: Failed RTM_NEWADDR"; the program
    never ran, so starting again is safe. A job can print the same words, so only a run over
    within moments counts: a job cannot buy itself extra runs of any length this way."""
    return (
        took_s < _SETUP_FAILS_WITHIN_S
        and run.stopped is None
        and run.returncode == 1
        and not run.stdout
        and run.stderr.startswith(b"bwrap: ")
    )


def _read_limit(path: Path) -> Limit | None:
    try:
        said = path.read_text().strip()
    except OSError:
        return None
    if said == "memory":
        return "memory"
    if said == "processes":
        return "processes"
    return None


async def _supervise(
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    config: dict[str, Any],
    limits: Limits,
    cancel: asyncio.Event | None,
    on_output: OnOutput | None = None,
) -> SandboxRun:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        "-S",
        "-B",
        str(SUPERVISOR),
        str(os.getpid()),  # the agent: if it is gone by the time the supervisor runs, stop
        json.dumps(config),
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    out = _Capture(limits.max_output_bytes, _stream_of(on_output, "stdout"))
    err = _Capture(limits.max_output_bytes, _stream_of(on_output, "stderr"))
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


def _stream_of(on_output: OnOutput | None, name: str) -> OnLine | None:
    if on_output is None:
        return None
    return lambda line: on_output(name, line)


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
