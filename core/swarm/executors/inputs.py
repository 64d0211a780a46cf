"""Job inputs arrive as JSON; this keeps every executor's idea of "valid JSON" the same."""

from __future__ import annotations

import json
import math
from typing import Any

from core.json_screen import has_unpaired_surrogate, nested_deeper_than
from core.swarm.executors.errors import ExecutionError

# Large enough for real jobs, small enough that one job cannot exhaust a node's memory.
MAX_INPUT_BYTES = 5_000_000
# As deep as the gateway accepts bodies (LCN_GATEWAY_MAX_JSON_DEPTH's default).
MAX_OUTPUT_DEPTH = 64


def encode_input(value: Any) -> bytes:
    """Serialise a job input, refusing what other nodes could not read back."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ExecutionError(f"The input is not valid JSON data ({exc}).") from None
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ExecutionError("The input contains text that is not valid Unicode.") from None
    if len(data) > MAX_INPUT_BYTES:
        raise ExecutionError(
            f"The input is {len(data)} bytes of JSON, over the limit of {MAX_INPUT_BYTES} bytes."
        )
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # `1e400` is valid JSON that Python reads as infinity, which no one can write back.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a JSON number")
    return value


def parse_json_line(line: str) -> tuple[bool, Any]:
    """Parse strict JSON (no NaN/Infinity, which other nodes could not serialise again).

    A job's output line is hostile: nesting deep enough to exhaust the parser's recursion
    (or, where a library raised the limit, the C stack), or half a surrogate pair that no
    reader can encode again, make it text rather than a JSON value."""
    raw = line.encode("utf-8", "surrogatepass")
    if nested_deeper_than(raw, MAX_OUTPUT_DEPTH) or has_unpaired_surrogate(raw):
        return False, None
    try:
        return True, json.loads(line, parse_constant=_reject_constant, parse_float=_finite_float)
    except ValueError:
        return False, None
