"""Job inputs arrive as JSON; this keeps every executor's idea of "valid JSON" the same."""

from __future__ import annotations

import json
from typing import Any

from core.swarm.executors.errors import ExecutionError

# Large enough for real jobs, small enough that one job cannot exhaust a node's memory.
MAX_INPUT_BYTES = 5_000_000


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


def parse_json_line(line: str) -> tuple[bool, Any]:
    """Parse strict JSON (no NaN/Infinity, which other nodes could not serialise again)."""
    try:
        return True, json.loads(line, parse_constant=_reject_constant)
    except ValueError:
        return False, None
