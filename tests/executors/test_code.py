"""run_code with real interpreters: the job protocol (input, output, logs) and its failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from core.swarm.executors import Limits, available_runtimes, run_code, sandbox

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

HELLO_JS = 'console.log("Hello from Lit Compute!");'
READ_INPUT_PY = """
import json, os
data = json.load(open(os.environ["LCN_INPUT"]))
print("got", data["n"])
print(json.dumps({"double": data["n"] * 2, "cwd": os.getcwd()}))
"""


def test_python_is_always_available() -> None:
    assert "python" in available_runtimes()


@needs_node
def test_javascript_is_available_with_node() -> None:
    assert available_runtimes() == {"python", "javascript"}


@needs_node
async def test_hello_job_in_javascript(limits: Limits) -> None:
    outcome = await run_code("javascript", HELLO_JS, None, limits)
    assert outcome.ok, outcome.error
    assert outcome.logs == ["Hello from Lit Compute!"]
    assert outcome.error is None
    assert outcome.output == "Hello from Lit Compute!\n"


async def test_hello_job_in_python(limits: Limits) -> None:
    outcome = await run_code("python", 'print("Hello from Lit Compute!")', None, limits)
    assert outcome.ok, outcome.error
    assert outcome.logs == ["Hello from Lit Compute!"]


async def test_python_reads_input_and_returns_json(limits: Limits) -> None:
    outcome = await run_code("python", READ_INPUT_PY, {"n": 21}, limits)
    assert outcome.ok, outcome.error
    assert outcome.output["double"] == 42
    assert outcome.logs[0] == "got 21"
    assert not Path(outcome.output["cwd"]).exists(), "the scratch directory was left behind"


@needs_node
async def test_javascript_reads_input_and_returns_json(limits: Limits) -> None:
    code = """
    const data = JSON.parse(require("fs").readFileSync(process.env.LCN_INPUT, "utf8"));
    console.log(JSON.stringify({sum: data.values.reduce((a, b) => a + b, 0)}));
    """
    outcome = await run_code("javascript", code, {"values": [1, 2, 3]}, limits)
    assert outcome.ok, outcome.error
    assert outcome.output == {"sum": 6}


async def test_output_is_last_non_empty_json_line(limits: Limits) -> None:
    outcome = await run_code("python", 'print("log line")\nprint("[1, 2]")\nprint()', None, limits)
    assert outcome.output == [1, 2]


async def test_output_falls_back_to_whole_stdout(limits: Limits) -> None:
    outcome = await run_code("python", 'print("one")\nprint("two words")', None, limits)
    assert outcome.ok
    assert outcome.output == "one\ntwo words\n"


async def test_nan_is_not_json_output(limits: Limits) -> None:
    outcome = await run_code("python", 'print("NaN")', None, limits)
    assert outcome.output == "NaN\n"


async def test_stderr_lines_are_prefixed(limits: Limits) -> None:
    code = 'import sys\nprint("out")\nprint("warn", file=sys.stderr)'
    outcome = await run_code("python", code, None, limits)
    assert outcome.logs == ["out", "stderr: warn"]


async def test_non_zero_exit_names_code_and_last_stderr_line(limits: Limits) -> None:
    code = 'import sys\nprint("partial")\nprint("first", file=sys.stderr)\n'
    code += 'print("boom happened", file=sys.stderr)\nsys.exit(3)'
    outcome = await run_code("python", code, None, limits)
    assert not outcome.ok
    assert outcome.output is None
    assert outcome.error == "Exited with code 3: boom happened"
    assert outcome.logs == ["partial", "stderr: first", "stderr: boom happened"]


@needs_node
async def test_javascript_exception_is_reported(limits: Limits) -> None:
    outcome = await run_code("javascript", 'throw new Error("nope");', None, limits)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error == "Exited with code 1: Error: nope"


async def test_environment_is_scrubbed(limits: Limits, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LCN_TEST_SECRET", "hunter2-do-not-leak")
    code = "import json, os\nprint(json.dumps(dict(os.environ)))"
    outcome = await run_code("python", code, None, limits)
    assert outcome.ok, outcome.error
    env = outcome.output
    assert set(env) == {"PATH", "HOME", "LANG", "LCN_INPUT", "TMPDIR", "PWD"}
    assert "hunter2-do-not-leak" not in str(env)
    assert env["HOME"] == env["TMPDIR"] == str(Path(env["LCN_INPUT"]).parent)


async def test_site_packages_are_not_importable(limits: Limits) -> None:
    outcome = await run_code("python", "import numpy", None, limits)
    assert not outcome.ok
    assert "ModuleNotFoundError" in (outcome.error or "")


async def test_output_is_capped_and_the_rest_drained(limits: Limits) -> None:
    small = Limits(timeout_s=20, cpu_seconds=10, memory_mb=256, max_output_bytes=1000)
    code = """
import sys
for i in range(20000):
    print("x" * 50)
    print("e" * 50, file=sys.stderr)
print("[1]")
"""
    outcome = await run_code("python", code, None, small)
    assert outcome.ok, outcome.error
    assert "[output truncated: stdout exceeded 1000 bytes]" in outcome.logs
    assert "stderr: [output truncated: stderr exceeded 1000 bytes]" in outcome.logs
    # A cut-off stdout is never parsed, even though the program's last line was JSON.
    assert isinstance(outcome.output, str)
    assert len(outcome.output) <= 1000
    assert len(outcome.logs) < 60  # about 20 lines of each stream, not 20000


async def test_memory_limit_stops_python(limits: Limits) -> None:
    small = Limits(timeout_s=20, cpu_seconds=10, memory_mb=64)
    outcome = await run_code("python", "x = bytearray(512 * 1024 * 1024)", None, small)
    assert not outcome.ok
    assert outcome.error == "Exited with code 1: MemoryError"


@needs_node
async def test_memory_limit_stops_javascript() -> None:
    small = Limits(timeout_s=20, cpu_seconds=10, memory_mb=64)
    code = "const b = Buffer.alloc(1024 * 1024 * 1024, 1); console.log(b.length);"
    outcome = await run_code("javascript", code, None, small)
    assert not outcome.ok
    assert outcome.error == "Exited with code 1: RangeError: Array buffer allocation failed"


@needs_node
async def test_heap_limit_stops_javascript() -> None:
    small = Limits(timeout_s=20, cpu_seconds=10, memory_mb=64)
    code = "const a = []; for (;;) a.push({n: a.length});"
    outcome = await run_code("javascript", code, None, small)
    assert not outcome.ok
    assert "heap out of memory" in (outcome.error or "")


async def test_cpu_limit_kills_with_sigxcpu() -> None:
    strict = Limits(timeout_s=20, cpu_seconds=1, memory_mb=256)
    outcome = await run_code("python", "while True:\n    pass", None, strict)
    assert not outcome.ok
    assert outcome.error is not None
    assert outcome.error.startswith("Killed by SIGXCPU"), outcome.error


async def test_file_size_limit(limits: Limits) -> None:
    code = 'open("big", "wb").write(b"x" * (20 * 1024 * 1024))'
    outcome = await run_code("python", code, None, limits)
    assert not outcome.ok
    assert "File too large" in (outcome.error or "")


@pytest.mark.parametrize(
    "line",
    ['"\\ud800"', '{"a": "\\udc00x"}', "[" * 10_000 + "]" * 10_000, '{"x": 1e400}'],
    ids=["half-surrogate", "low-half", "10k-deep", "infinite-float"],
)
async def test_hostile_output_lines_stay_text(limits: Limits, line: str) -> None:
    """Output no reader could encode again, or nested deep enough to kill a parser, is kept as
    the text it was, never parsed into the job's result."""
    code = f"import sys\nsys.stdout.write({line!r} + '\\n')"
    outcome = await run_code("python", code, None, limits)
    assert outcome.ok, outcome.error
    assert outcome.output == line + "\n"
    json.dumps(outcome.output).encode("utf-8")  # storable and answerable as it is


async def test_a_job_that_mimics_a_bwrap_failure_runs_once(
    limits: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bwrap's own set-up failures are retried; a job that only says the same words after
    running a while is not, so it cannot buy itself extra runs."""
    runs: list[int] = []
    real = sandbox._supervise

    async def counted(*args: Any, **kwargs: Any) -> sandbox.SandboxRun:
        runs.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(sandbox, "_supervise", counted)
    code = (
        "import sys, time\ntime.sleep(0.8)\n"
        "sys.stderr.write('bwrap: loopback: Failed RTM_NEWADDR\\n')\nsys.exit(1)"
    )
    outcome = await run_code("python", code, None, limits)
    assert not outcome.ok and "Exited with code 1" in (outcome.error or "")
    assert outcome.logs == ["stderr: bwrap: loopback: Failed RTM_NEWADDR"]
    assert len(runs) == 1
