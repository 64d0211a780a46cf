"""How much memory the embedded server may use (`LCN_REDIS_MAXMEMORY`).

Without a limit a server that keeps growing takes the whole machine and the OS kills it (or
something else); with one, Redis refuses writes when it is full (`noeviction`: lcn's keys are
state, never a cache) and lcn reports that as a clear, retryable refusal and a degraded status.
"""

from __future__ import annotations

import os
import re

# A quarter of the machine, so the jobs, the gateway and the OS keep the rest; capped because a
# big host should not lend a single pool's hot state more than this by default.
DEFAULT_SHARE = 0.25
DEFAULT_CAP_BYTES = 8 * 1024**3
# Smaller than any real pool needs, but it catches `2` written for 2 GB.
FLOOR_BYTES = 4 * 1024**2

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3}
_UNITS["gb"] = 1024**3
_SIZE = re.compile(r"\A\s*(\d+(?:\.\d+)?)\s*(%|[kmg]?b?)\s*\Z", re.IGNORECASE)


def physical_memory_bytes() -> int | None:
    """The machine's RAM, or None where the OS does not say (then no share can be taken)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def default_maxmemory() -> int:
    """A quarter of the RAM, at most 8 GiB; 1 GiB where the RAM cannot be read."""
    ram = physical_memory_bytes()
    if not ram:
        return 1024**3
    return max(FLOOR_BYTES, min(DEFAULT_CAP_BYTES, int(ram * DEFAULT_SHARE)))


def parse_maxmemory(text: str) -> int:
    """`2gb`, `512mb`, `1073741824`, `30%` (of the RAM) or `0` (no limit) as bytes; an empty
    value is the default share. Raises ValueError with the reason."""
    if not text.strip():
        return default_maxmemory()
    match = _SIZE.match(text)
    if match is None:
        raise ValueError("give a size such as 2gb, 512mb, a byte count, 25% or 0 (no limit)")
    number, unit = float(match[1]), match[2].lower()
    if unit == "%":
        ram = physical_memory_bytes()
        if not 0 < number <= 100 or ram is None:
            raise ValueError("a share must be between 0% and 100% of a machine whose RAM is known")
        size = int(ram * number / 100)
    else:
        size = int(number * _UNITS[unit])
    if size and size < FLOOR_BYTES:
        raise ValueError(f"at least {FLOOR_BYTES // 1024**2} mb, or 0 for no limit")
    return size
