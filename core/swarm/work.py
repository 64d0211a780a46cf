"""What an agent does with one claimed job: pick the executor for its type and run it.

Separated from the agent loop so the loop only deals with leases and reporting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from core.swarm.executors import ExecutionOutcome, Limits, run_code, run_data, run_inference
from core.swarm.executors.outcome import failed
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.executors.worker import JobWorker, Kind
from core.wire.leases import ClaimedJob


async def execute(
    claim: ClaimedJob,
    cancel: asyncio.Event,
    policy: SandboxPolicy,
    worker: JobWorker,
    on_line: Callable[[str], None] | None = None,
) -> ExecutionOutcome:
    """Run the claimed task; raises ExecutionError for a task that cannot run as given.

    Code runs in a fresh sandbox per job; model and data tasks in the agent's sandboxed worker
    (or, on a node whose operator turned the sandbox off, in threads of this process). A code
    job's output lines go to `on_line` as it writes them (model and data tasks print none)."""
    task = claim.task
    if claim.type == "code-execution":
        limits = Limits(
            timeout_s=float(claim.timeout_s),
            cpu_seconds=max(1, claim.timeout_s * max(1, claim.cpu)),
            memory_mb=max(64, claim.mem_mb),
        )
        return await run_code(
            task.language or "javascript",
            task.code or "",
            task.input,
            limits,
            cancel,
            policy=policy,
            network=task.requirements.network,
            on_line=on_line,
        )
    kind: Kind = "model" if claim.type == "model-inference" else "data"
    name = (task.model_id if kind == "model" else task.operation) or ""
    if policy.isolate:
        return await worker.run(kind, name, task.input, float(claim.timeout_s), cancel)
    work = run_inference(name, task.input) if kind == "model" else run_data(name, task.input)
    return await _in_threads(asyncio.ensure_future(work), claim, cancel)


async def _in_threads(
    job: asyncio.Future[ExecutionOutcome], claim: ClaimedJob, cancel: asyncio.Event
) -> ExecutionOutcome:
    """Without the sandbox, models and data operations run in threads; bound them by the
    job's timeout and stop waiting when the lease is lost."""
    started = asyncio.get_running_loop().time()
    stop = asyncio.ensure_future(cancel.wait())
    watched: set[asyncio.Future[Any]] = {job, stop}
    done, _ = await asyncio.wait(
        watched, timeout=claim.timeout_s, return_when=asyncio.FIRST_COMPLETED
    )
    stop.cancel()
    if job in done:
        return job.result()
    job.cancel()
    reason = "Cancelled." if cancel.is_set() else f"Timed out after {claim.timeout_s} s."
    return failed(reason, started, asyncio.get_running_loop().time())
