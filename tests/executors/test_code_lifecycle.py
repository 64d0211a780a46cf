"""Nothing a job starts outlives it: timeouts, cancels and normal exits leave no process or file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.swarm.executors import Limits, run_code
from tests.executors.procs import process_exists, zombie_children

# Prints the scratch dir and a sleeping grandchild's pid, then spins or exits.
SPAWN_PY = """
import json, os, subprocess, sys
child = subprocess.Popen(["sleep", "60"], start_new_session={escape})
print(json.dumps({{"cwd": os.getcwd(), "pid": child.pid}}), flush=True)
{then}
"""
SPIN = "while True:\n    pass"


def spawn(then: str, escape: bool = False) -> str:
    return SPAWN_PY.format(then=then, escape=escape)


def reported(logs: list[str]) -> dict[str, object]:
    value = json.loads(logs[0])
    assert isinstance(value, dict)
    return value


def assert_all_gone(info: dict[str, object]) -> None:
    pid = info["pid"]
    assert isinstance(pid, int)
    assert not process_exists(pid), f"grandchild {pid} outlived its job"
    assert not Path(str(info["cwd"])).exists(), "scratch directory left behind"
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


async def test_cancelling_the_calling_task_cleans_up(limits: Limits, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code = spawn(
        "import pathlib\n"
        f"pathlib.Path({str(report)!r}).write_text(json.dumps("
        '{"cwd": os.getcwd(), "pid": child.pid}))\n' + SPIN
    )
    task = asyncio.create_task(run_code("python", code, None, limits))
    for _ in range(200):
        if report.exists() and report.read_text():
            break
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_all_gone(json.loads(report.read_text()))


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
    assert not Path(outcome.output).exists()


async def test_a_job_that_stops_its_supervisor_is_still_cleaned_up() -> None:
    code = spawn("import signal\nos.kill(os.getppid(), signal.SIGSTOP)\n" + SPIN)
    outcome = await run_code("python", code, None, Limits(1, 30, 256))
    assert outcome.error == "Timed out after 1 s."
    assert_all_gone(reported(outcome.logs))
