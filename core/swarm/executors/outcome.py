"""What every executor hands back, so the node reports all kinds of jobs the same way."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.swarm.executors.errors import ExecutionError

# Below this a Python interpreter cannot even start under RLIMIT_AS.
MIN_MEMORY_MB = 32


class ExecutionOutcome(BaseModel):
    """The result of running a task that was valid: it may still have failed at run time."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    output: Any
    logs: list[str]
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class Limits:
    """Resources one code job may use; the scheduler picks them, the sandbox enforces them."""

    timeout_s: float
    cpu_seconds: int
    memory_mb: int  # the whole process tree's, not each process's
    max_output_bytes: int = 64_000
    max_processes: int = 128  # processes and threads of the whole tree together
    scratch_mb: int = 64  # the job's writable /job

    def check(self) -> None:
        """Reject limits that could not be enforced, rather than silently running unbounded."""
        if not (math.isfinite(self.timeout_s) and self.timeout_s > 0):
            raise ExecutionError("The timeout must be a positive number of seconds.")
        for name in ("cpu_seconds", "memory_mb", "max_output_bytes", "max_processes", "scratch_mb"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ExecutionError(f"The {name} limit must be a whole number.")
        if self.cpu_seconds < 1:
            raise ExecutionError("The CPU limit must be at least 1 second.")
        if self.memory_mb < MIN_MEMORY_MB:
            raise ExecutionError(f"The memory limit must be at least {MIN_MEMORY_MB} MB.")
        if self.max_output_bytes < 1:
            raise ExecutionError("The output limit must be at least 1 byte.")
        if self.max_processes < 4:
            raise ExecutionError("The process limit must be at least 4.")
        if self.scratch_mb < 1:
            raise ExecutionError("The scratch limit must be at least 1 MB.")


def finished(
    output: Any, started: float, now: float, logs: list[str] | None = None
) -> ExecutionOutcome:
    """A successful outcome, timed from `started` (time.monotonic) to `now`."""
    return ExecutionOutcome(
        ok=True, output=output, logs=logs or [], error=None, duration_ms=elapsed_ms(started, now)
    )


def failed(
    error: str, started: float, now: float, logs: list[str] | None = None
) -> ExecutionOutcome:
    """A failed outcome: the task was valid but did not produce a result."""
    return ExecutionOutcome(
        ok=False, output=None, logs=logs or [], error=error, duration_ms=elapsed_ms(started, now)
    )


def elapsed_ms(started: float, now: float) -> int:
    return max(0, round((now - started) * 1000))
