"""What the snapshot scripts return: one JSON object per script, with tables as a list of field
names and rows of HMGET values in that order. Field values are parsed by the record codecs
(core.models.records)."""

from __future__ import annotations

from typing import Any

from core.store import scripts


def script_reply(reply: Any) -> dict[str, Any]:
    """A snapshot script's JSON object (empty when it returned something else)."""
    value = scripts.decode_reply(reply)
    return value if isinstance(value, dict) else {}


def listed(reply: dict[str, Any], name: str) -> list[Any]:
    """A list in a script's reply (cjson turns an empty table into {} rather than [])."""
    value = reply.get(name) or []
    return value if isinstance(value, list) else []


def rows(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Script rows are HMGET arrays in the order of the reply's `fields`."""
    fields = reply.get("fields") or []
    return [dict(zip(fields, row, strict=False)) for row in listed(reply, "rows")]
