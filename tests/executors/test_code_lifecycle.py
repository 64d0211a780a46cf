"""Nothing a job starts outlives it: timeouts, cancels and normal exits leave no process or file."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from core.swarm.executors import Limits, run_code
from core.swarm.executors.sandbox import scratch_root
from tests.executors.procs import processes_with, zombie_children

# Starts a sleeping grandchild whose command line carries a marker the host can look for
# (the job's own pids mean nothing outside its pid namespace), then spins or exits.
SPAWN_PY = """
import json, os, subprocess, sys
child = subprocess.Popen(["sleep", "{marker}"], start_new_session={escape})
print(json.dumps({{"marker": "{marker}"}}), flush=True)
{then}
"""
SPIN = "while True:\n    pass"


def spawn(then: str, escape: bool = False, marker: str | None = None) -> str:
    marker = marker or f"60.{uuid.uuid4().int % 10**12:012d}"
    return SPAWN_PY.format(then=then, escape=escape, marker=marker)


def reported(logs: list[str]) -> dict[str, object]:
    value = json.loads(logs[0])
    assert isinstance(value, dict)
    return value


def assert_all_gone(info: dict[str, object]) -> None:
    marker = str(info["marker"])
    assert processes_with(marker) == [], f"the job's grandchild ({marker}) outlived it"
    assert list(scratch_root().iterdir()) == [], "scratch directory left behind"
    assert zombie_children() == []


async def test_timeout_kills_the_job_and_its_children() -> None:
    outcome = await run_code("python", spawn(SPIN), None, Limits(1, 30, 256))
    assert not outcome.ok
    assert outcome.output is None
    assert outcome.error == "Timed out after 1 s."
    assert_all_gone(reported(outcome.logs))


async def test_timeout_also_kills_children_that_left_the_group() -> None:
    outcome = await run_code("python", spawn(SPIN, escape=True), None, Limits(1, 30, 256))
    assert outcome.error == "Timed out after 1 s."
    assert_all_gone(reported(outcome.logs))


async def test_background_children_die_when_the_job_exits(limits: Limits) -> None:
    outcome = await run_code("python", spawn("sys.exit(0)"), None, limits)
    assert outcome.ok, outcome.error
    assert_all_gone(reported(outcome.logs))


async def test_escaped_children_die_when_the_job_exits(limits: Limits) -> None:
    outcome = await run_code("python", spawn("sys.exit(0)", escape=True), None, limits)
    assert outcome.ok, outcome.error
    assert_all_gone(reported(outcome.logs))


async def test_cancel_event_stops_the_job(limits: Limits) -> None:
    cancel = asyncio.Event()
    asyncio.get_running_loop().call_later(0.5, cancel.set)
    outcome = await run_code("python", spawn(SPIN), None, limits, cancel=cancel)
    assert not outcome.ok
    assert outcome.error == "Cancelled."
    assert_all_gone(reported(outcome.logs))


async def test_already_cancelled_job_does_not_run(limits: Limits) -> None:
    cancel = asyncio.Event()
    cancel.set()
    outcome = await run_code("python", 'print("ran")', None, limits, cancel=cancel)
    assert not outcome.ok
    assert outcome.error == "Cancelled."
    assert outcome.logs == []


async def test_cancelling_the_calling_task_cleans_up(limits: Limits) -> None:
    marker = f"60.{uuid.uuid4().int % 10**12:012d}"
    task = asyncio.create_task(run_code("python", spawn(SPIN, marker=marker), None, limits))
    for _ in range(200):
        if processes_with(marker):
            break
        await asyncio.sleep(0.05)
    assert processes_with(marker), "the job never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_all_gone({"marker": marker})


async def test_read_only_scratch_content_is_still_removed(limits: Limits) -> None:
    code = """
import os, json
os.makedirs("locked/inner")
open("locked/inner/f", "w").write("x")
os.chmod("locked/inner", 0o500)
os.chmod("locked", 0o500)
print(json.dumps(os.getcwd()))
"""
    outcome = await run_code("python", code, None, limits)
    assert outcome.ok, outcome.error
    assert list(scratch_root().iterdir()) == []


async def test_a_job_that_stops_its_supervisor_is_still_cleaned_up() -> None:
    code = spawn("import signal\nos.kill(os.getppid(), signal.SIGSTOP)\n" + SPIN)
    outcome = await run_code("python", code, None, Limits(1, 30, 256))
    assert outcome.error == "Timed out after 1 s."
    assert_all_gone(reported(outcome.logs))
