"""Input checks and shard arithmetic shared by the data operations.

Every check raises ExecutionError with a sentence naming the field at fault, because the input
is written by a person submitting a job, not by this code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

from core.swarm.executors.errors import ExecutionError

MAX_VALUES = 1_000_000

T = TypeVar("T")
Number = int | float


def fields(input: Any, operation: str) -> dict[str, Any]:
    if not isinstance(input, dict):
        raise ExecutionError(f"The input for {operation} must be a JSON object.")
    return input


def field(data: dict[str, Any], name: str, operation: str) -> Any:
    if name not in data:
        raise ExecutionError(f"The input for {operation} needs a {name!r} field.")
    return data[name]


def text_field(data: dict[str, Any], name: str, operation: str) -> str:
    value = field(data, name, operation)
    if not isinstance(value, str):
        raise ExecutionError(f"The {name!r} field for {operation} must be a string.")
    return value


def flag(data: dict[str, Any], name: str, operation: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ExecutionError(f"The {name!r} field for {operation} must be true or false.")
    return value


def items(value: Any, name: str, operation: str) -> list[Any]:
    if not isinstance(value, list):
        raise ExecutionError(f"The {name!r} field for {operation} must be a list.")
    if len(value) > MAX_VALUES:
        raise ExecutionError(
            f"The {name!r} field for {operation} holds {len(value)} items, "
            f"over the limit of {MAX_VALUES}."
        )
    return value


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def numbers(data: dict[str, Any], operation: str) -> list[Number]:
    values = items(field(data, "values", operation), "values", operation)
    for value in values:
        if not is_number(value):
            raise ExecutionError(
                f"The 'values' for {operation} must all be numbers, but one is {value!r}."
            )
    return values


def chunks(values: Sequence[T], shards: int) -> list[Sequence[T]]:
    """Contiguous, nearly equal, non-empty pieces in order; one (maybe empty) if too few."""
    count = max(1, min(shards, len(values)))
    size, extra = divmod(len(values), count)
    pieces = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        pieces.append(values[start:end])
        start = end
    return pieces


def partials(partial_outputs: Any, operation: str) -> list[dict[str, Any]]:
    """Check the envelope every partial output shares: a JSON object tagged with its operation."""
    if not isinstance(partial_outputs, list) or not partial_outputs:
        raise ExecutionError(f"There are no partial results to combine for {operation}.")
    for part in partial_outputs:
        if not isinstance(part, dict) or part.get("partial") != operation:
            raise ExecutionError(f"A partial result is not a partial result of {operation}.")
    return partial_outputs
