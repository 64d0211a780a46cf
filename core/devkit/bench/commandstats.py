"""How much work a benchmark made Redis do: `INFO commandstats` before and after, subtracted.

Redis counts every command it executes there, including each `redis.call` a script makes, so
the difference over a run is the whole cost in commands (EVALSHA itself included), split by
command. The server is shared by whatever else runs on it, so benchmarks use a server of their
own (or a quiet one) when they report these figures."""

from __future__ import annotations

from collections import Counter
from typing import Any

CLIENT_ONLY = ("info",)  # our own measuring commands: not the benchmark's work


async def command_counts(redis: Any) -> Counter[str]:
    """Calls per command so far on the server (`client|setname` style names for subcommands)."""
    return counts_from_info(await redis.info("commandstats"))


def counts_from_info(stats: Any) -> Counter[str]:
    """`INFO commandstats` as parsed by redis-py (sync or async client) → calls per command."""
    counts: Counter[str] = Counter()
    for name, fields in stats.items():
        command = str(name).removeprefix("cmdstat_").lower()
        if command not in CLIENT_ONLY and isinstance(fields, dict):
            counts[command] = int(fields.get("calls", 0))
    return counts


def per_job(before: Counter[str], after: Counter[str], jobs: int) -> dict[str, Any]:
    """Commands per job over the run: the total and each command's share, largest first."""
    delta = {name: after[name] - before.get(name, 0) for name in after}
    delta = {name: calls for name, calls in delta.items() if calls > 0}
    total = sum(delta.values())
    scripts = delta.get("evalsha", 0) + delta.get("eval", 0)
    by_command = {
        name: round(calls / jobs, 3)
        for name, calls in sorted(delta.items(), key=lambda item: (-item[1], item[0]))
    }
    return {
        "redisCommandsPerJob": round(total / max(jobs, 1), 3),
        "scriptsPerJob": round(scripts / max(jobs, 1), 3),
        "commandsPerJob": by_command,
    }
