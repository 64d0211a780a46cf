"""The code-execution task: run a job's Python or JavaScript program in the sandbox.

How a program talks to the network:

* Input: the job's `input` is written as JSON to `input.json` in the program's working
  directory, and the environment variable `LCN_INPUT` holds that file's path.
* Output: if the last non-empty line the program prints to stdout is JSON, that value is the
  job's `output`; otherwise `output` is the whole stdout text. When stdout was cut off at the
  output limit it is never parsed, since a cut line could be valid JSON by accident.
* Logs: every stdout line, then every stderr line prefixed "stderr: ", each stream cut off
  after `max_output_bytes` (the rest is read and dropped, with a line saying so). While the
  program runs, each line (within that cut) is also handed to `on_line` as it is written,
  stdout and stderr interleaved as they come, so a node can send them on for an operator to
  follow.
* Failure: a non-zero exit, a fatal signal, a timeout or a cancel gives ok=False, and `error`
  names what happened plus the stderr line that says why (for Node.js, the error line rather
  than the stack trace and version banner that follow it).

Python runs with `-I -S -B -u`: isolated from the environment and the user site (-I), without
site-packages (-S), without writing .pyc files (-B), and unbuffered, so output printed before a
timeout is still reported (-u). The standard library works as usual. Both runtimes run in the
sandbox (jail.py): the program is /job/main.py or /job/main.js, its input /job/input.json.

Limits: memory and process count are the whole tree's (a control group), CPU seconds each
process's, plus the wall-clock timeout, a 16 MiB cap per file, the scratch size and the output
cap. A job that runs into one fails with that limit named in its error.
"""

from __future__ import annotations

import asyncio
import functools
import re
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.inputs import encode_input, parse_json_line
from core.swarm.executors.jail import python_binary, python_prefix, runtime_root
from core.swarm.executors.outcome import ExecutionOutcome, Limits, failed, finished
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.executors.sandbox import SandboxRun, run_sandboxed

MAX_CODE_BYTES = 64 * 1024
INPUT_FILE = "input.json"
INPUT_ENV = "LCN_INPUT"
_MIB = 1024 * 1024
# A job may write files, but not enough to fill the node's disk.
MAX_FILE_BYTES = 16 * _MIB
# Node's own baseline (VM data of the runtime itself, thread stacks) on top of its JS heap.
_NODE_DATA_HEADROOM_MB = 128
_OPEN_FILES = 256


@dataclass(frozen=True)
class _Runtime:
    filename: str
    argv: Callable[[Limits], list[str]]
    memory_rlimits: Callable[[Limits], dict[str, tuple[int, int]]]
    root: Callable[[], str]  # the installation the sandbox binds read-only


def _python_argv(limits: Limits) -> list[str]:
    # The real interpreter, not our virtualenv's link to it: the job sees no site-packages.
    return [python_binary(), "-I", "-S", "-B", "-u", "main.py"]


def _python_memory(limits: Limits) -> dict[str, tuple[int, int]]:
    cap = limits.memory_mb * _MIB
    return {"RLIMIT_AS": (cap, cap)}


def _node_argv(limits: Limits) -> list[str]:
    node = _node_path()
    if node is None:
        raise ExecutionError("JavaScript is not available on this node (no `node` binary).")
    return [node, f"--max-old-space-size={limits.memory_mb}", "main.js"]


def _node_memory(limits: Limits) -> dict[str, tuple[int, int]]:
    # Not RLIMIT_AS: V8 reserves gigabytes of address space it never touches (code ranges,
    # WebAssembly guard regions), so any useful address-space cap stops Node from starting.
    # The JS heap is capped by --max-old-space-size instead, and RLIMIT_DATA (which counts
    # only writable private memory, not those reservations) catches Buffers and other
    # memory outside the heap.
    cap = (limits.memory_mb + _NODE_DATA_HEADROOM_MB) * _MIB
    return {"RLIMIT_DATA": (cap, cap)}


def _node_root() -> str:
    node = _node_path()
    return runtime_root(node) if node else "/usr"


_RUNTIMES: dict[str, _Runtime] = {
    "python": _Runtime("main.py", _python_argv, _python_memory, python_prefix),
    "javascript": _Runtime("main.js", _node_argv, _node_memory, _node_root),
}


@functools.cache
def _node_path() -> str | None:
    return shutil.which("node")


@functools.cache
def available_runtimes() -> frozenset[str]:
    """Languages this node can run: Python always, JavaScript when Node.js is installed."""
    return frozenset(name for name in _RUNTIMES if name != "javascript" or _node_path())


async def run_code(
    language: str,
    code: str,
    input: Any,
    limits: Limits,
    cancel: asyncio.Event | None = None,
    *,
    policy: SandboxPolicy | None = None,
    network: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> ExecutionOutcome:
    """Run `code` with `input` under `limits`; see the module docstring for the protocol.

    `policy` is the node's (default: sandboxed, no network); `network` is the job's ask;
    `on_line` gets each output line as the program writes it (see the module docstring)."""
    runtime, source, input_json = _validate(language, code, input, limits)
    started = time.monotonic()
    if cancel is not None and cancel.is_set():
        return failed("Cancelled.", started, time.monotonic())
    run = await run_sandboxed(
        runtime.argv(limits),
        files={runtime.filename: source, INPUT_FILE: input_json},
        path_env={INPUT_ENV: INPUT_FILE},
        rlimits=_rlimits(runtime, limits),
        limits=limits,
        policy=policy or SandboxPolicy(),
        runtime_paths=[runtime.root()],
        network=network,
        cancel=cancel,
        on_output=None if on_line is None else functools.partial(_hand_on, on_line),
    )
    return _outcome(run, limits, started, time.monotonic())


def _hand_on(on_line: Callable[[str], None], stream: str, line: bytes) -> None:
    """A line as the logs will hold it: decoded, stderr's prefixed."""
    text = line.decode("utf-8", "replace").removesuffix("\r")
    on_line(f"stderr: {text}" if stream == "stderr" else text)


def _validate(
    language: str, code: str, input: Any, limits: Limits
) -> tuple[_Runtime, bytes, bytes]:
    runtime = _RUNTIMES.get(language)
    if runtime is None:
        known = ", ".join(sorted(_RUNTIMES))
        raise ExecutionError(f"Unknown language {language!r}; known languages are {known}.")
    if language not in available_runtimes():
        raise ExecutionError(f"{language} is not available on this node.")
    if not isinstance(code, str) or not code.strip():
        raise ExecutionError("The code is empty.")
    try:
        source = code.encode("utf-8")
    except UnicodeEncodeError:
        raise ExecutionError("The code is not valid Unicode text.") from None
    if len(source) > MAX_CODE_BYTES:
        raise ExecutionError(
            f"The code is {len(source)} bytes, over the limit of {MAX_CODE_BYTES} bytes."
        )
    limits.check()
    return runtime, source, encode_input(input)


def _rlimits(runtime: _Runtime, limits: Limits) -> dict[str, tuple[int, int]]:
    # The soft CPU limit sends SIGXCPU; the hard one, a second later, SIGKILLs a program that
    # catches SIGXCPU.
    return {
        "RLIMIT_CPU": (limits.cpu_seconds, limits.cpu_seconds + 1),
        "RLIMIT_FSIZE": (MAX_FILE_BYTES, MAX_FILE_BYTES),
        "RLIMIT_CORE": (0, 0),
        "RLIMIT_NOFILE": (_OPEN_FILES, _OPEN_FILES),
        **runtime.memory_rlimits(limits),
    }


def _outcome(run: SandboxRun, limits: Limits, started: float, now: float) -> ExecutionOutcome:
    stdout = run.stdout.decode("utf-8", "replace")
    stderr = run.stderr.decode("utf-8", "replace")
    logs = stdout.splitlines()
    if run.stdout_truncated:
        logs.append(f"[output truncated: stdout exceeded {limits.max_output_bytes} bytes]")
    logs += [f"stderr: {line}" for line in stderr.splitlines()]
    if run.stderr_truncated:
        logs.append(f"stderr: [output truncated: stderr exceeded {limits.max_output_bytes} bytes]")
    if run.stopped == "timeout":
        return failed(f"Timed out after {limits.timeout_s:g} s.", started, now, logs)
    if run.stopped == "cancelled":
        return failed("Cancelled.", started, now, logs)
    if run.limit == "memory":
        return failed(
            f"Killed: the job's memory limit of {limits.memory_mb} MB (all its processes "
            "together) was reached.",
            started,
            now,
            logs,
        )
    if run.limit == "processes":
        return failed(
            f"Killed: the job's limit of {limits.max_processes} processes and threads was reached.",
            started,
            now,
            logs,
        )
    if run.returncode != 0:
        return failed(_exit_error(run.returncode, stderr, limits), started, now, logs)
    return finished(_output(stdout, run.stdout_truncated), started, now, logs)


def _output(stdout: str, truncated: bool) -> Any:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if lines and not truncated:
        parsed, value = parse_json_line(lines[-1])
        if parsed:
            return value
    return stdout


def _exit_error(returncode: int, stderr: str, limits: Limits) -> str:
    if returncode < 0:
        sig = -returncode
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        message = f"Killed by {name} (exit code {returncode})"
        hint = _signal_hint(sig, limits)
        if hint:
            message += f", {hint}"
    else:
        message = f"Exited with code {returncode}"
    if _NO_SPACE in stderr:
        message += f", the scratch limit of {limits.scratch_mb} MB was reached"
    last = _error_line(stderr)
    return f"{message}: {last}" if last else f"{message}."


# strerror(ENOSPC), as Python and Node.js print it when /job is full.
_NO_SPACE = "No space left on device"
_NODE_BANNER = re.compile(r"Node\.js v[\d.]+")
_STACK_FRAME = re.compile(r"\s+at\s")


def _error_line(stderr: str) -> str | None:
    """The stderr line that says what went wrong: usually the last, but Node.js follows its
    error with a stack trace and its version, and its fatal errors with a native stack."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("FATAL ERROR:")]
    if fatal:
        return fatal[-1].strip()
    while lines and (_NODE_BANNER.fullmatch(lines[-1].strip()) or _STACK_FRAME.match(lines[-1])):
        lines.pop()
    return lines[-1].strip() if lines else None


def _signal_hint(sig: int, limits: Limits) -> str | None:
    if sig == signal.SIGXCPU:
        return f"the CPU time limit of {limits.cpu_seconds} s was reached"
    if sig == signal.SIGKILL:
        return "the CPU time limit was reached or the system ran out of memory"
    if sig == signal.SIGXFSZ:
        return f"a file grew past the limit of {MAX_FILE_BYTES // _MIB} MiB"
    return None
