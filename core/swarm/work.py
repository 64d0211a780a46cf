"""What an agent does with one claimed job: pick the executor for its type and run it.

Separated from the agent loop so the loop only deals with leases and reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from core.jobs import Claim
from core.swarm.executors import (
    ExecutionOutcome,
    Limits,
    run_code,
    run_data,
    run_inference,
)


async def execute(claim: Claim, cancel: asyncio.Event) -> ExecutionOutcome:
    """Run the claimed task; raises ExecutionError for a task that cannot run as given."""
    task = claim.task
    if claim.type == "code-execution":
        limits = Limits(
            timeout_s=float(claim.timeout_s),
            cpu_seconds=max(1, claim.timeout_s * max(1, claim.cpu)),
            memory_mb=max(64, claim.mem_mb),
        )
        return await run_code(
            task.language or "javascript", task.code or "", task.input, limits, cancel
        )
    if claim.type == "model-inference":
        return await _with_timeout(run_inference(task.model_id or "", task.input), claim, cancel)
    return await _with_timeout(run_data(task.operation or "", task.input), claim, cancel)


async def _with_timeout(
    work: Coroutine[Any, Any, ExecutionOutcome], claim: Claim, cancel: asyncio.Event
) -> ExecutionOutcome:
    """Models and data operations run in threads; bound them by the job's timeout and stop
    waiting when the lease is lost."""
    job = asyncio.ensure_future(work)
    stop = asyncio.ensure_future(cancel.wait())
    done, _ = await asyncio.wait(
        {job, stop}, timeout=claim.timeout_s, return_when=asyncio.FIRST_COMPLETED
    )
    stop.cancel()
    if job in done:
        return job.result()
    job.cancel()
    reason = "Cancelled." if cancel.is_set() else f"Timed out after {claim.timeout_s} s."
    return ExecutionOutcome(
        ok=False, output=None, logs=[], error=reason, duration_ms=claim.timeout_s * 1000
    )
