"""The agent's sandboxed worker for model and data jobs: reused while healthy, replaced after
a cancel or a death, and strict about tasks that cannot run."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest

from core.swarm.executors import ExecutionError
from core.swarm.executors.jail import probe
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.executors.worker import JobWorker

pytestmark = pytest.mark.skipif(probe() is not None, reason=f"no sandbox here: {probe()}")

SUM = {"values": [1, 2, 3]}


@pytest.fixture
async def worker() -> AsyncIterator[JobWorker]:
    w = JobWorker(SandboxPolicy())
    yield w
    await w.close()


def _pid(worker: JobWorker) -> int:
    assert worker._proc is not None
    return worker._proc.pid


async def test_one_worker_serves_job_after_job(worker: JobWorker) -> None:
    never = asyncio.Event()
    first = await worker.run("data", "sum", SUM, 30, never)
    pid = _pid(worker)
    second = await worker.run(
        "model", "iris-classifier", {"features": [5.1, 3.5, 1.4, 0.2]}, 30, never
    )
    assert first.ok and first.output == 6
    assert second.ok and second.output["predictions"] == ["setosa"]
    assert _pid(worker) == pid


async def test_a_task_that_cannot_run_is_refused_and_the_worker_lives_on(worker: JobWorker) -> None:
    never = asyncio.Event()
    await worker.run("data", "sum", SUM, 30, never)
    pid = _pid(worker)
    with pytest.raises(ExecutionError, match="Unknown data operation 'nope'"):
        await worker.run("data", "nope", SUM, 30, never)
    assert _pid(worker) == pid


async def test_a_cancelled_job_ends_its_worker_and_the_next_gets_a_fresh_one(
    worker: JobWorker,
) -> None:
    cancel = asyncio.Event()
    cancel.set()  # the lease is already lost when the job is handed over
    outcome = await worker.run("data", "sum", SUM, 30, cancel)
    assert not outcome.ok and outcome.error == "Cancelled."
    assert worker._proc is None
    again = await worker.run("data", "sum", SUM, 30, asyncio.Event())
    assert again.ok and again.output == 6


async def test_a_dead_worker_is_replaced(worker: JobWorker) -> None:
    never = asyncio.Event()
    await worker.run("data", "sum", SUM, 30, never)
    old = _pid(worker)
    os.killpg(old, signal.SIGKILL)
    assert worker._proc is not None
    await worker._proc.wait()
    outcome = await worker.run("data", "sum", SUM, 30, never)
    assert outcome.ok and outcome.output == 6
    assert _pid(worker) != old
