"""The data-processing task: built-in operations over a JSON input, some of them splittable.

Operations and their inputs (the operation name is given separately, never inside the input):

* `word-count`: `{"text": str}` or a list of strings -> `{"words": N, "counts": {word: n}}`,
  words being runs of word characters, lowercased, counts ordered most frequent first.
* `sort`: `{"values": [numbers] or [strings], "reverse": bool (optional)}` -> sorted list.
* `sum`, `mean`: `{"values": [numbers]}` -> a number (mean is always a float). Sums are exact
  and rounded once, so the order of the values never changes the result.
* `group-by`: `{"rows": [{...}], "key": field, "value": field, "agg": "sum"|"count"|"mean"}`
  -> `{group: aggregate}` ("value" is only needed for sum and mean; "agg" defaults to count).
* `sha256`: `{"text": str}` or `{"base64": str}` -> hex digest.

Splitting: `split_data` cuts an input into shard inputs, each a valid input for `run_data`;
`reduce_data` combines the outputs of running those shards into exactly what `run_data` gives
on the whole input. Shard inputs of sum, mean, sort and group-by carry `"partial": true`, which
makes `run_data` answer with a partial result (exact sums, counts, sorted runs) for the reduce.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.swarm.executors import data_group, data_numeric, data_text
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.exact import TooLarge
from core.swarm.executors.inputs import encode_input
from core.swarm.executors.outcome import ExecutionOutcome, failed, finished

MAX_SHARDS = 1024


@dataclass(frozen=True)
class _Operation:
    run: Callable[[Any, bool], Any]
    split: Callable[[Any, int], list[Any]] | None = None
    reduce: Callable[[list[Any]], Any] | None = None


def _split_values(operation: str) -> Callable[[Any, int], list[Any]]:
    return lambda input, shards: data_numeric.split_values(operation, input, shards)


_OPERATIONS: dict[str, _Operation] = {
    "word-count": _Operation(
        data_text.word_count, data_text.split_word_count, data_text.reduce_word_count
    ),
    "sort": _Operation(data_numeric.sort, _split_values("sort"), data_numeric.reduce_sort),
    "sum": _Operation(data_numeric.total, _split_values("sum"), data_numeric.reduce_sum),
    "mean": _Operation(data_numeric.mean, _split_values("mean"), data_numeric.reduce_mean),
    "group-by": _Operation(
        data_group.group_by, data_group.split_group_by, data_group.reduce_group_by
    ),
    "sha256": _Operation(data_text.sha256),
}


def _operation(name: str) -> _Operation:
    operation = _OPERATIONS.get(name)
    if operation is None:
        known = ", ".join(sorted(_OPERATIONS))
        raise ExecutionError(f"Unknown data operation {name!r}; known operations are {known}.")
    return operation


async def run_data(operation: str, input: Any) -> ExecutionOutcome:
    """Run `operation` on `input` in a worker thread, so big inputs never stall the loop."""
    op = _operation(operation)
    started = time.monotonic()
    try:
        output = await asyncio.to_thread(_run, op, operation, input)
    except TooLarge as exc:
        return failed(str(exc), started, time.monotonic())
    return finished(output, started, time.monotonic())


def _run(op: _Operation, operation: str, input: Any) -> Any:
    encode_input(input)  # size and JSON checks
    partial = isinstance(input, dict) and input.get("partial") is True
    return op.run(input, partial and op.split is not None)


def is_splittable(operation: str) -> bool:
    """Whether `operation` can be cut into shard jobs (False for unknown operations)."""
    op = _OPERATIONS.get(operation)
    return op is not None and op.split is not None


def split_data(operation: str, input: Any, shards: int) -> list[Any]:
    """Inputs for at most `shards` shard jobs (fewer when the input is small, never none)."""
    op = _operation(operation)
    if op.split is None:
        raise ExecutionError(f"The {operation} operation cannot be split into shards.")
    if isinstance(shards, bool) or not isinstance(shards, int) or not 1 <= shards <= MAX_SHARDS:
        raise ExecutionError(f"The number of shards must be between 1 and {MAX_SHARDS}.")
    encode_input(input)
    if isinstance(input, dict) and input.get("partial") is True:
        raise ExecutionError("A shard's input cannot be split again.")
    return op.split(input, shards)


def reduce_data(operation: str, partial_outputs: list[Any]) -> Any:
    """Combine the outputs of the shard jobs from `split_data` into the whole job's output.

    Raises ExecutionError when the outputs are not such outputs, or when the combined result
    cannot be represented (a float sum that overflows).
    """
    op = _operation(operation)
    if op.reduce is None:
        raise ExecutionError(f"The {operation} operation cannot be split into shards.")
    try:
        return op.reduce(partial_outputs)
    except TooLarge as exc:
        raise ExecutionError(str(exc)) from None
