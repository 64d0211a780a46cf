"""A tiny init for one job, outside its sandbox, so that nothing the job starts outlives it.

Killing a job's process group is not enough on its own: the killed processes are re-parented
to PID 1, and on some hosts (containers, microVMs) PID 1 never reaps them, leaving zombies.
So sandbox.py does not start the job directly. It starts this file as a script::

    python -I -S supervisor.py AGENT_PID CONFIG_JSON PROGRAM [ARG...]

PROGRAM is bwrap (see jail.py) with the job's own command line after it. This process marks
itself a child subreaper (orphans come back to it instead of to PID 1), forks the job into a
process group of its own, and in the child, just before exec (a fresh single-threaded
process, unlike the node's own, where preexec_fn is unsafe because executors run in threads)
joins the job's control groups and applies the resource limits. When the job ends, or when
this process gets SIGTERM (a timeout or cancel in the node), it SIGKILLs the job's process
group, kills any descendant that escaped it, reaps every one, and exits the way the job did:
the same exit code, or killed by the same signal, so the node reads the job's fate from this
process's status.

CONFIG_JSON holds:
* `rlimits`: resource.RLIMIT_* name -> [soft, hard];
* `cgroup_procs`: the `cgroup.procs` files of the job's control groups, empty where the host
  has none; then `watch` asks this process to enforce the tree's memory and process count
  itself, by polling /proc, and to name the limit it enforced in the file `limit_file`;
* `slirp4netns`: the binary that gives a job with network access its own network stack
  (outbound only, the host's loopback cut off), or null for no network at all.

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
import subprocess
import sys
import time
from types import FrameType
from typing import Any

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1
_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_EXEC_FAILED = 127
# How often the fallback watcher (no cgroups) looks at the job's memory and process count.
_WATCH_INTERVAL_S = 0.02


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


def _exec_job(argv: list[str], config: dict[str, Any], network: tuple[int, int] | None) -> None:
    """In the forked child: leave our group, join the job's cgroups, take the limits, exec."""
    try:
        os.setpgid(0, 0)
        # Ignored signals survive exec, and Python ignores these two; the job gets defaults.
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        for procs in config.get("cgroup_procs", []):
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        if network is not None:
            _own_network(*network)
        _apply_limits(config.get("rlimits", {}))
        os.execv(argv[0], argv)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(2, f"lcn sandbox: cannot start {argv[0]}: {exc}\n".encode())
    os._exit(_EXEC_FAILED)


def _own_network(ready_w: int, plugged_r: int) -> None:
    """Move into a fresh network namespace, say so, and wait until slirp4netns is plugged in.

    The namespace is made here, before bwrap (which is then told --share-net), so that it
    belongs to our own user namespace: slirp4netns, started by the supervisor, may always
    join it. (Joining one bwrap made is refused while bwrap nests its user namespaces.)"""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) != 0:
        # Not root: a user namespace of our own first, in which we may make the other.
        uid, gid = os.getuid(), os.getgid()
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "cannot make a network namespace for the job")
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write(f"{uid} {uid} 1")
        with open("/proc/self/gid_map", "w") as f:
            f.write(f"{gid} {gid} 1")
    os.write(ready_w, b"1")
    os.close(ready_w)
    if not os.read(plugged_r, 1):
        raise OSError("slirp4netns could not give the job its network")
    os.close(plugged_r)


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


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants, as far as /proc shows them right now."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(child_pids(current))
    return found


def _tasks(pids: list[int]) -> int:
    """Tasks of `pids` (threads count, as a pids cgroup would count them)."""
    tasks = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/stat") as f:
            tasks += int(f.read().rpartition(")")[2].split()[17])
    return tasks


def _memory(pids: list[int]) -> int:
    """Proportional set size of `pids`: pages that forked processes share count once."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += _pss(pid)
    return total


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except FileNotFoundError:  # kernels before 4.14: resident size, shared pages and all
        pass
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def _over_limit(job_pid: int, watch: dict[str, int]) -> str | None:
    tree = _tree(job_pid)
    # The cheap count first: a fork bomb must not outrun a slow memory reading.
    if len(tree) > watch["max_processes"] or _tasks(tree) > watch["max_processes"]:
        return "processes"
    if _memory(tree) > watch["memory_bytes"]:
        return "memory"
    return None


def _start_network(child: int, slirp: str) -> subprocess.Popen[bytes] | None:
    """Plug an outbound-only stack (no host loopback) into `child`'s network namespace."""
    netns = f"/proc/{child}/ns/net"
    userns = f"/proc/{child}/ns/user"
    joins = ["--netns-type=path", netns]
    if os.readlink(userns) != os.readlink("/proc/self/ns/user"):
        joins = ["--userns-path", userns, *joins]
    for _ in range(3):  # slirp4netns' own netlink set-up can fail under load; safe to retry
        ready_r, ready_w = os.pipe()
        proc = subprocess.Popen(
            [
                slirp,
                "--configure",
                "--mtu=65520",
                "--disable-host-loopback",
                f"--ready-fd={ready_w}",
                *joins,
                "tap0",
            ],
            pass_fds=(ready_w,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(ready_w)
        with os.fdopen(ready_r, "rb") as ready:
            if ready.read(1):
                return proc
        proc.kill()
        proc.wait()
    return None


def main(args: list[str]) -> None:
    parent = int(args[0])
    config: dict[str, Any] = json.loads(args[1])
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
    slirp = config.get("slirp4netns")
    if slirp:
        ready_r, ready_w = os.pipe()
        plugged_r, plugged_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        if slirp:
            os.close(ready_r)  # the parent's ends: a child holding them would wait forever
            os.close(plugged_w)
        _exec_job(argv, config, (ready_w, plugged_r) if slirp else None)
    # Also set the group from this side, so a SIGTERM arriving right now finds it.
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)
    job.append(pid)
    if stop_requested:
        _kill_group(pid)
    if slirp:
        os.close(ready_w)
        os.close(plugged_r)
        plugged = None
        if os.read(ready_r, 1):  # the child is in its own network namespace now
            with contextlib.suppress(OSError, ValueError):
                plugged = _start_network(pid, slirp)
        if plugged is not None:
            with contextlib.suppress(OSError):
                os.write(plugged_w, b"1")
        os.close(plugged_w)  # without a byte, the child gives up with an error
        os.close(ready_r)

    watch = config.get("watch")
    while True:
        # Orphans re-parented to us are reaped here too while we wait for the job itself.
        reaped, status = os.waitpid(-1, os.WNOHANG if watch else 0)
        if reaped == pid:
            break
        if watch and reaped == 0:
            limit = _over_limit(pid, watch)
            if limit:
                with open(config["limit_file"], "w") as f:
                    f.write(limit)
                _kill_group(pid)
            time.sleep(_WATCH_INTERVAL_S)
    _reap_everything(pid)
    if os.getppid() != parent:
        # Our agent died, so nobody else will remove the scratch directory (our cwd).
        shutil.rmtree(os.getcwd(), ignore_errors=True)
    _exit_like(status)


if __name__ == "__main__":
    main(sys.argv[1:])
