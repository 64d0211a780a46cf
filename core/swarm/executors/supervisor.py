"""A tiny init for one job, so that nothing the job starts can outlive it.

Killing a job's process group is not enough on its own: the killed processes are re-parented
to PID 1, and on some hosts (containers, microVMs) PID 1 never reaps them, leaving zombies.
So sandbox.py does not start the job directly. It starts this file as a script::

    python -I -S supervisor.py RLIMITS_JSON PROGRAM [ARG...]

This process marks itself a child subreaper (orphans of the job come back to it instead of to
PID 1), forks the job into a process group of its own, applies the resource limits in the
child just before exec (a fresh single-threaded process, unlike the node's own, where
preexec_fn is unsafe because model and data executors run in threads), and waits. When the
job ends, or when this process gets SIGTERM (a timeout or cancel in the node), it SIGKILLs the
job's process group, then kills any descendant that escaped the group with setsid, reaps every
one of them, and finally exits the way the job did: the same exit code, or killed by the same
signal, so the node reads the job's fate from this process's status.

Only the standard library may be imported here: the script runs isolated from the project.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import sys
import time
from types import FrameType

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
_EXEC_FAILED = 127


def child_pids(pid: int) -> list[int]:
    """The live children of `pid`, read from /proc (empty when the process is gone)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass
    except OSError:
        return []
    # Kernels without CONFIG_PROC_CHILDREN: scan every process for its parent.
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; the fields after it do not.
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry))
    return found


def _become_subreaper() -> None:
    # Best effort: without it the job still dies, but its orphans may linger as zombies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _die_with_parent() -> None:
    # If the agent that started us is killed (SIGKILL, OOM), we get SIGTERM and stop the job
    # instead of letting it run to its timeout for nobody: its lease is lost anyway.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _apply_limits(limits: dict[str, list[int]]) -> None:
    for name, (soft, hard) in limits.items():
        if not name.startswith("RLIMIT_"):
            raise ValueError(f"not a resource limit: {name}")
        resource.setrlimit(getattr(resource, name), (soft, hard))


def _exec_job(argv: list[str], limits: dict[str, list[int]]) -> None:
    """In the forked child: leave our group, take the limits, become the job."""
    try:
        os.setpgid(0, 0)
        # Ignored signals survive exec, and Python ignores these two; the job gets defaults.
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        _apply_limits(limits)
        os.execv(argv[0], argv)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(2, f"lcn sandbox: cannot start {argv[0]}: {exc}\n".encode())
    os._exit(_EXEC_FAILED)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _reap_everything(job_pid: int) -> None:
    """Kill and reap every remaining descendant: the job's group, then anything that left it."""
    _kill_group(job_pid)
    me = os.getpid()
    while True:
        for pid in child_pids(me):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            reaped, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if reaped == 0:
            time.sleep(0.005)


def _exit_like(status: int) -> None:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else _EXEC_FAILED)


def main(args: list[str]) -> None:
    parent = int(args[0])
    limits: dict[str, list[int]] = json.loads(args[1])
    argv = args[2:]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _become_subreaper()
    _die_with_parent()
    if os.getppid() != parent:
        # The agent died before the death signal was armed: nobody wants this job any more.
        shutil.rmtree(os.getcwd(), ignore_errors=True)
        os._exit(_EXEC_FAILED)

    job: list[int] = []  # the job's pid, once forked; read by the signal handler
    stop_requested: list[bool] = []

    def on_term(_sig: int, _frame: FrameType | None) -> None:
        stop_requested.append(True)
        if job:
            _kill_group(job[0])

    signal.signal(signal.SIGTERM, on_term)
    pid = os.fork()
    if pid == 0:
        _exec_job(argv, limits)
    # Also set the group from this side, so a SIGTERM arriving right now finds it.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    job.append(pid)
    if stop_requested:
        _kill_group(pid)

    while True:
        # Orphans re-parented to us are reaped here too while we wait for the job itself.
        reaped, status = os.waitpid(-1, 0)
        if reaped == pid:
            break
    _reap_everything(pid)
    if os.getppid() != parent:
        # Our agent died, so nobody else will remove the scratch directory (our cwd).
        shutil.rmtree(os.getcwd(), ignore_errors=True)
    _exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
