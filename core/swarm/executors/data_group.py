"""group-by: aggregate a field of JSON rows per value of another field; splittable.

Groups are named by their key: a string as itself, any other JSON scalar by its JSON text
(`1` -> "1", `true` -> "true", `null` -> "null"), so 1 and "1" fall in the same group. Groups
appear in the order their first row appears. A shard run with `"partial": true` answers with
exact per-group sums and counts (see exact.py), from which any of the aggregates follows.
"""

from __future__ import annotations

import json
from typing import Any

from core.swarm.executors.data_common import (
    Number,
    chunks,
    field,
    fields,
    is_number,
    items,
    partials,
    text_field,
)
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.exact import ExactSum

AGGREGATES = ("count", "mean", "sum")
_OP = "group-by"


def group_by(input: Any, partial: bool = False) -> dict[str, Any]:
    data = fields(input, _OP)
    agg = _agg(data.get("agg", "count"))
    groups = _groups(data, agg)
    if partial:
        return {
            "partial": _OP,
            "agg": agg,
            "groups": {name: exact.encode() for name, exact in groups.items()},
        }
    return _finish(groups, agg)


def split_group_by(input: Any, shards: int) -> list[Any]:
    data = fields(input, _OP)
    _groups(data, _agg(data.get("agg", "count")))  # reject bad input here, not on every shard
    rows = items(field(data, "rows", _OP), "rows", _OP)
    return [{**data, "rows": list(piece), "partial": True} for piece in chunks(rows, shards)]


def reduce_group_by(partial_outputs: list[Any]) -> dict[str, Any]:
    parts = partials(partial_outputs, _OP)
    agg = parts[0].get("agg")
    merged: dict[str, ExactSum] = {}
    for part in parts:
        groups = part.get("groups")
        if part.get("agg") != agg or not isinstance(groups, dict):
            raise ExecutionError("The partial results of group-by do not fit together.")
        for name, encoded in groups.items():
            exact = ExactSum.decode(encoded)
            merged[name] = merged[name] + exact if name in merged else exact
    return _finish(merged, _agg(agg))


def _agg(value: Any) -> str:
    if value not in AGGREGATES:
        raise ExecutionError(f"The 'agg' for group-by must be one of {', '.join(AGGREGATES)}.")
    return str(value)


def _groups(data: dict[str, Any], agg: str) -> dict[str, ExactSum]:
    rows = items(field(data, "rows", _OP), "rows", _OP)
    key = text_field(data, "key", _OP)
    value = text_field(data, "value", _OP) if agg != "count" else None
    collected: dict[str, list[Number]] = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ExecutionError(f"Row {index} for group-by is not a JSON object.")
        if key not in row:
            raise ExecutionError(f"Row {index} for group-by has no {key!r} field.")
        numbers = collected.setdefault(_group_name(row[key], index), [])
        if value is None:
            numbers.append(0)
            continue
        if not is_number(row.get(value)):
            raise ExecutionError(f"Row {index} for group-by has no number in {value!r}.")
        numbers.append(row[value])
    return {name: ExactSum.of(numbers) for name, numbers in collected.items()}


def _group_name(key: Any, index: int) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int) or is_number(key):
        return json.dumps(key)
    raise ExecutionError(f"Row {index} for group-by has a key that is not a string or number.")


def _finish(groups: dict[str, ExactSum], agg: str) -> dict[str, Any]:
    if agg == "count":
        return {name: exact.count for name, exact in groups.items()}
    if agg == "sum":
        return {name: exact.sum() for name, exact in groups.items()}
    return {name: exact.mean() for name, exact in groups.items()}
