"""Numeric operations: sum, mean and sort, all splittable.

A shard of sum or mean is run with `"partial": true` and answers with its exact sum and count
(see exact.py) rather than a rounded number, so that combining shards gives bit-for-bit the
result of running on everything at once. A shard of sort answers with its sorted run and the
direction, which the merge needs.
"""

from __future__ import annotations

import heapq
from typing import Any

from core.swarm.executors.data_common import (
    Number,
    chunks,
    field,
    fields,
    flag,
    is_number,
    items,
    numbers,
    partials,
)
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.exact import ExactSum


def total(input: Any, partial: bool = False) -> Any:
    exact = ExactSum.of(numbers(fields(input, "sum"), "sum"))
    return {"partial": "sum", **exact.encode()} if partial else exact.sum()


def mean(input: Any, partial: bool = False) -> Any:
    exact = ExactSum.of(numbers(fields(input, "mean"), "mean"))
    if partial:
        return {"partial": "mean", **exact.encode()}
    return exact.mean()


def split_values(operation: str, input: Any, shards: int) -> list[Any]:
    data = fields(input, operation)
    if operation == "sort":
        values: list[Any] = _sortable(data)
        extra = {"reverse": flag(data, "reverse", "sort")}
    else:
        values = numbers(data, operation)
        extra = {}
        if operation == "mean" and not values:
            raise ExecutionError("The mean of no values is undefined.")
    return [{"values": list(piece), **extra, "partial": True} for piece in chunks(values, shards)]


def reduce_sum(partial_outputs: list[Any]) -> Number:
    return _combine(partial_outputs, "sum").sum()


def reduce_mean(partial_outputs: list[Any]) -> float:
    return _combine(partial_outputs, "mean").mean()


def _combine(partial_outputs: list[Any], operation: str) -> ExactSum:
    parts = [ExactSum.decode(part) for part in partials(partial_outputs, operation)]
    result = parts[0]
    for part in parts[1:]:
        result = result + part
    return result


def sort(input: Any, partial: bool = False) -> Any:
    data = fields(input, "sort")
    reverse = flag(data, "reverse", "sort")
    ordered = sorted(_sortable(data), reverse=reverse)
    return {"partial": "sort", "reverse": reverse, "values": ordered} if partial else ordered


def reduce_sort(partial_outputs: list[Any]) -> list[Any]:
    parts = partials(partial_outputs, "sort")
    reverse = parts[0].get("reverse")
    runs = []
    for part in parts:
        values = part.get("values")
        if part.get("reverse") is not reverse or not isinstance(values, list):
            raise ExecutionError("The partial results of sort do not fit together.")
        runs.append(values)
    _check_sortable([v for run in runs for v in run], "The partial results of sort")
    # heapq.merge takes equal values from earlier runs first, and shards are contiguous runs
    # in input order, so this is the same stable order as sorting everything at once.
    return list(heapq.merge(*runs, reverse=bool(reverse)))


def _sortable(data: dict[str, Any]) -> list[Any]:
    values = items(field(data, "values", "sort"), "values", "sort")
    _check_sortable(values, "The 'values' for sort")
    return values


def _check_sortable(values: list[Any], what: str) -> None:
    if all(isinstance(v, str) for v in values) or all(is_number(v) for v in values):
        return
    raise ExecutionError(f"{what} must be all numbers or all strings.")
