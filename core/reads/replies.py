"""What the snapshot scripts return: one JSON object per script, with tables as a list of field
names and rows of HMGET values in that order. Field values are parsed by the record codecs
(core.models.records)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from core.store import scripts

T = TypeVar("T")


def script_reply(reply: Any) -> dict[str, Any]:
    """A snapshot script's JSON object (empty when it returned something else)."""
    value = scripts.decode_reply(reply)
    return value if isinstance(value, dict) else {}


def listed(reply: dict[str, Any], name: str) -> list[Any]:
    """A list in a script's reply (cjson turns an empty table into {} rather than [])."""
    value = reply.get(name) or []
    return value if isinstance(value, list) else []


def sort_values(reply: dict[str, Any]) -> list[float] | None:
    """A sorted read's value of each row, in the rows' order (None when it was not sorted)."""
    if reply.get("matched") is None or "values" not in reply:
        return None
    return [float(v) for v in listed(reply, "values")]


def rows(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Script rows are HMGET arrays in the order of the reply's `fields`."""
    fields = reply.get("fields") or []
    return [dict(zip(fields, row, strict=False)) for row in listed(reply, "rows")]


class RowMemo(Generic[T]):
    """Script rows decoded once: a poll that brings a row with the same values as before gets
    the model decoded then, instead of parsing the hash again (a poll brings a few hundred rows
    and most did not change). Bounded: the oldest entries go first. Rows are frozen models, so
    sharing one between polls is safe."""

    enabled: ClassVar[bool] = True  # `lcn bench console` measures its baseline without it

    def __init__(self, make: Callable[[dict[str, Any]], T], size: int = 4096) -> None:
        self._make = make
        self._size = size
        self._fields: tuple[str, ...] = ()
        self._memo: dict[tuple[Any, ...], T] = {}

    def rows(self, reply: dict[str, Any]) -> list[T]:
        fields = tuple(reply.get("fields") or ())
        if not RowMemo.enabled:
            return [self._make(dict(zip(fields, r, strict=False))) for r in listed(reply, "rows")]
        if fields != self._fields:  # another script version: its rows mean something else
            self._fields, self._memo = fields, {}
        memo, found = self._memo, []
        for row in listed(reply, "rows"):
            key = tuple(row)
            value = memo.get(key)
            if value is None:
                value = memo[key] = self._make(dict(zip(fields, row, strict=False)))
                if len(memo) > self._size:
                    del memo[next(iter(memo))]
            found.append(value)
        return found
