"""The host side of an agent's sandboxed model/data worker (see worker_main.py for why).

One worker per agent, started on the first model or data job and kept for the next ones. It
runs in the same jail as code jobs, with the project's executor package and its libraries
bound read-only (nothing else of the host), in a control group of its own. A job that times
out, is cancelled, or kills the worker ends the worker too; the next job starts a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import core
from core.json_screen import has_unpaired_surrogate, nested_deeper_than
from core.swarm.executors import cgroups
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.jail import Jail, base_env, bwrap_binary, python_prefix
from core.swarm.executors.outcome import ExecutionOutcome, elapsed_ms, failed
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.executors.sandbox import GRACE_S, SUPERVISOR, remove_tree, scratch_root

log = logging.getLogger("lcn.worker")
Kind = Literal["model", "data"]
_MIB = 1024 * 1024
# Enough for scikit-learn, a trained model and a 5 MB input parsed; OpenBLAS starts a thread
# per core, hence the process count.
WORKER_MEMORY_MB = 1024
WORKER_PROCESSES = 64
WORKER_SCRATCH_MB = 16
# A reply holds at most the outcome of one job; the input limit is 5 MB of JSON.
_LINE_LIMIT = 64 * _MIB
# A reply is an outcome whose output nests a few levels (data and model results are shallow).
_REPLY_DEPTH = 64


class JobWorker:
    """Runs model and data tasks for one agent, one at a time, in a sandboxed process."""

    def __init__(self, policy: SandboxPolicy) -> None:
        self.policy = policy
        self._proc: asyncio.subprocess.Process | None = None
        self._group: cgroups.JobGroup | None = None
        self._dir: Path | None = None
        self._stderr: asyncio.Task[None] | None = None
        self._said: list[str] = []  # the worker's last stderr lines
        self._lock = asyncio.Lock()

    async def run(
        self, kind: Kind, name: str, value: Any, timeout_s: float, cancel: asyncio.Event
    ) -> ExecutionOutcome:
        """The task's outcome; raises ExecutionError for a task that cannot run as given."""
        async with self._lock:
            started = time.monotonic()
            line = json.dumps({"kind": kind, "name": name, "input": value}, allow_nan=False)
            proc = await self._ensure_started()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(line.encode() + b"\n")
            reply = asyncio.ensure_future(self._reply(proc))
            stop = asyncio.ensure_future(cancel.wait())
            try:
                done, _ = await asyncio.wait(
                    {reply, stop}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                stop.cancel()
            if reply not in done:
                reply.cancel()
                await self.close()
                reason = "Cancelled." if cancel.is_set() else f"Timed out after {timeout_s:g} s."
                return failed(reason, started, time.monotonic())
            answer = reply.result()
            if answer is None:  # the worker died under this job
                limit = self._group.exceeded() if self._group else None
                await self.close()
                if self._said:
                    # For the node's operator, not the job: it is our code's own complaint.
                    log.warning("the sandboxed worker stopped: %s", self._said[-1])
                return failed(_death_reason(limit), started, time.monotonic())
            if "error" in answer:
                raise ExecutionError(str(answer["error"]))
            outcome = ExecutionOutcome.model_validate(answer["outcome"])
            return outcome.model_copy(update={"duration_ms": elapsed_ms(started, time.monotonic())})

    async def _reply(self, proc: asyncio.subprocess.Process) -> dict[str, Any] | None:
        assert proc.stdout is not None
        try:
            raw = await proc.stdout.readline()
            # The worker parses strangers' input: treat what it says as hostile too.
            if not raw or nested_deeper_than(raw, _REPLY_DEPTH) or has_unpaired_surrogate(raw):
                return None
            parsed = json.loads(raw)
        except (ValueError, asyncio.LimitOverrunError):
            return None
        return parsed if isinstance(parsed, dict) else None

    async def _ensure_started(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        await self.close()
        self._dir = Path(tempfile.mkdtemp(prefix="lcn-worker-", dir=scratch_root()))
        config: dict[str, Any] = {"rlimits": {"RLIMIT_CORE": [0, 0]}}
        command = [sys.executable, "-I", "-B", "-m", "core.swarm.executors.worker_main"]
        if self.policy.isolate:
            command = _jail().argv(command)
            self._group = await asyncio.to_thread(
                cgroups.create, (WORKER_MEMORY_MB + WORKER_SCRATCH_MB) * _MIB, WORKER_PROCESSES
            )
        if self._group is not None:
            config["cgroup_procs"] = self._group.procs
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            "-B",
            str(SUPERVISOR),
            str(os.getpid()),
            json.dumps(config),
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self._dir,
            env=base_env(),
            start_new_session=True,
            limit=_LINE_LIMIT,
        )
        self._said = []
        self._stderr = asyncio.create_task(_drain(self._proc.stderr, self._said))
        return self._proc

    async def close(self) -> None:
        """Stop the worker and everything it started (idempotent)."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), GRACE_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 9)
                await proc.wait()
        if self._stderr is not None:
            self._stderr.cancel()
            self._stderr = None
        group, self._group = self._group, None
        if group is not None:
            await asyncio.to_thread(group.kill_and_remove)
        if self._dir is not None:
            remove_tree(self._dir)
            self._dir = None


def _jail() -> Jail:
    bwrap = bwrap_binary()
    if bwrap is None:
        raise ExecutionError("This node cannot sandbox jobs: bubblewrap is not installed.")
    package = str(Path(core.__file__).resolve().parent)
    return Jail(
        bwrap=bwrap,
        scratch_bytes=WORKER_SCRATCH_MB * _MIB,
        # The interpreter, our virtualenv's libraries, and the `core` package alone (not the
        # checkout it may sit in, nor the data dir).
        read_only=(python_prefix(), os.path.realpath(sys.prefix), package),
        # scikit-learn and OpenBLAS would otherwise start a thread per core for every job.
        env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )


def _death_reason(limit: str | None) -> str:
    if limit == "memory":
        return f"Killed: the worker's memory limit of {WORKER_MEMORY_MB} MB was reached."
    if limit == "processes":
        return f"Killed: the worker's limit of {WORKER_PROCESSES} processes was reached."
    return "The sandboxed worker stopped while running the job."


async def _drain(stream: asyncio.StreamReader | None, said: list[str]) -> None:
    """Read the worker's stderr so it never blocks, keeping its last few lines."""
    if stream is None:
        return
    tail = b""
    while chunk := await stream.read(64 * 1024):
        tail = (tail + chunk)[-4096:]
        # Printable only: the line goes to the operator's log and terminal.
        said[:] = [
            "".join(c if c.isprintable() else "?" for c in line.decode("utf-8", "replace")[:500])
            for line in tail.splitlines()[-5:]
        ]
