"""Process checks for the sandbox tests, read straight from /proc."""

from __future__ import annotations

import os
from pathlib import Path


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


def processes_with(marker: str) -> list[int]:
    """Host processes whose command line holds `marker` (zombies have none, so they show up
    in `zombie_children` instead)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline.split(b"\0"):
            found.append(int(entry))
    return found
