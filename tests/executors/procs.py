"""Process checks for the sandbox tests, read straight from /proc."""

from __future__ import annotations

import os
from pathlib import Path


def process_exists(pid: int) -> bool:
    """True for a live process and for an unreaped zombie alike: both count as leftovers."""
    return Path(f"/proc/{pid}").exists()


def zombie_children() -> list[int]:
    """Our own children that have exited but were never reaped."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if ppid == me and state == "Z":
            found.append(int(entry))
    return found
