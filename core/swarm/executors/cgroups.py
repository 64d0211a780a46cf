"""Per-job control groups: one memory ceiling and one process count for a job's whole tree.

Resource limits (setrlimit) are per process, so a job that forks escapes them: 300 processes
of 10 MB each are 3 GB under a 512 MB RLIMIT_AS. A control group counts every process and
thread of the job together, and the kernel enforces it, so this is what the sandbox uses
wherever the host lets us create one:

* cgroup v2 (the unified hierarchy) when our own group can delegate `memory` and `pids`;
* cgroup v1 when the `memory` and `pids` hierarchies are mounted and writable;
* otherwise None, and the supervisor falls back to RLIMIT_NPROC and a memory watcher.

A job's group sits under the node's own group, named by the node's pid, so a node killed
before it could clean up leaves groups that `sweep_stale_groups` finds and removes.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PREFIX = "lcn-job-"
_counter = itertools.count()
_made: set[Path] = set()  # the node's own parent groups, once made

LimitName = Literal["memory", "processes"]


@functools.cache
def _own_groups() -> dict[str, str]:
    """Our group per hierarchy, from /proc/self/cgroup: '' for v2, else the controller names."""
    groups: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                groups[controller] = path
    return groups


@functools.cache
def _mounts() -> dict[str, Path]:
    """Mount points of cgroup hierarchies, keyed like `_own_groups`."""
    found: dict[str, Path] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            left, _, right = line.partition(" - ")
            fields, extra = left.split(), right.split()
            if len(fields) < 5 or len(extra) < 3:
                continue
            if extra[0] == "cgroup2":
                found.setdefault("", Path(fields[4]))
            elif extra[0] == "cgroup":
                for option in extra[2].split(","):
                    if option in ("memory", "pids"):
                        found.setdefault(option, Path(fields[4]))
    return found


@dataclass(frozen=True)
class JobGroup:
    """The control group(s) of one job. `procs` are the files a process joins it through."""

    version: Literal[1, 2]
    paths: tuple[Path, ...]
    memory_limit_bytes: int
    max_processes: int

    @property
    def procs(self) -> list[str]:
        return [str(path / "cgroup.procs") for path in self.paths]

    def exceeded(self) -> LimitName | None:
        """Which limit the job ran into, if any (read before `remove`)."""
        if self.version == 2:
            memory, pids = self.paths[0] / "memory.events", self.paths[0] / "pids.events"
            if _event_count(memory, "oom_kill") or _event_count(memory, "oom"):
                return "memory"
        else:
            memory, pids = self.paths[0] / "memory.oom_control", self.paths[1] / "pids.events"
            if _event_count(memory, "oom_kill") or _event_count(memory, "under_oom"):
                return "memory"
        if _event_count(pids, "max"):
            return "processes"
        return None

    def kill_and_remove(self) -> None:
        """Kill whatever is left in the group and remove it (waits briefly for the kernel)."""
        for _ in range(200):
            pids = self._members()
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
        for path in self.paths:
            with contextlib.suppress(OSError):
                path.rmdir()

    def _members(self) -> list[int]:
        members: set[int] = set()
        for procs in self.procs:
            with contextlib.suppress(OSError, ValueError):
                members.update(int(p) for p in Path(procs).read_text().split())
        return sorted(members)


def _event_count(path: Path, name: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    return 0


def _parent_for(hierarchy: str) -> Path | None:
    mount, own = _mounts().get(hierarchy), _own_groups().get(hierarchy)
    if mount is None or own is None:
        return None
    return mount / own.lstrip("/") / f"lcn-node-{os.getpid()}"


def _make_parent(parent: Path, v2_controllers: bool) -> bool:
    if parent in _made:  # once per node process, not once per job
        return True
    try:
        parent.mkdir(exist_ok=True)
        if v2_controllers:
            # A v2 group may only hand controllers to children when it holds no process itself;
            # the node's parent group does, so the node gets a group of its own for its jobs.
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
        _made.add(parent)
        return True
    except OSError:
        return False


def create(memory_limit_bytes: int, max_processes: int) -> JobGroup | None:
    """A fresh group with both limits set, or None when this host does not let us make one."""
    name = f"{GROUP_PREFIX}{next(_counter)}"
    v2 = _parent_for("")
    if v2 is not None and _make_parent(v2, v2_controllers=True):
        group = _try_make(2, [v2 / name], memory_limit_bytes, max_processes)
        if group is not None:
            return group
    memory, pids = _parent_for("memory"), _parent_for("pids")
    if memory is None or pids is None:
        return None
    if not (_make_parent(memory, False) and _make_parent(pids, False)):
        return None
    return _try_make(1, [memory / name, pids / name], memory_limit_bytes, max_processes)


def _try_make(
    version: Literal[1, 2], paths: list[Path], memory_limit_bytes: int, max_processes: int
) -> JobGroup | None:
    group = JobGroup(version, tuple(paths), memory_limit_bytes, max_processes)
    try:
        for path in paths:
            path.mkdir()
        if version == 2:
            (paths[0] / "memory.max").write_text(str(memory_limit_bytes))
            with contextlib.suppress(OSError):  # no swap accounting on this host
                (paths[0] / "memory.swap.max").write_text("0")
            (paths[0] / "pids.max").write_text(str(max_processes))
        else:
            (paths[0] / "memory.limit_in_bytes").write_text(str(memory_limit_bytes))
            with contextlib.suppress(OSError):
                (paths[0] / "memory.memsw.limit_in_bytes").write_text(str(memory_limit_bytes))
            (paths[1] / "pids.max").write_text(str(max_processes))
    except OSError:
        group.kill_and_remove()
        return None
    return group


def sweep_stale_groups() -> int:
    """Remove the job groups of node processes that no longer exist (run when a node starts)."""
    removed = 0
    parents = {p.parent for p in (_parent_for(h) for h in ("", "memory", "pids")) if p}
    for parent in parents:
        for node_group in parent.glob("lcn-node-*"):
            try:
                os.kill(int(node_group.name.removeprefix("lcn-node-")), 0)
                continue
            except ProcessLookupError:
                pass
            except (ValueError, PermissionError):
                continue
            for job in node_group.glob(f"{GROUP_PREFIX}*"):
                JobGroup(2, (job,), 0, 0).kill_and_remove()
            with contextlib.suppress(OSError):
                node_group.rmdir()
                removed += 1
    return removed
