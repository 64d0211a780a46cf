"""Parsing the loose values Redis hands back (bytes, numbers as text, missing fields)."""

from __future__ import annotations

import json
from typing import Any

from core.store import scripts


def text(value: Any) -> str | None:
    if value is None or value is False:
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return str(value)


def integer(value: Any, default: int = 0) -> int:
    parsed = opt_int(value)
    return default if parsed is None else parsed


def opt_int(value: Any) -> int | None:
    parsed = opt_float(value)
    return None if parsed is None else int(parsed)


def opt_float(value: Any) -> float | None:
    found = text(value)
    if found in (None, ""):
        return None
    try:
        return float(found)
    except ValueError:
        return None


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


def string_list(value: Any) -> list[str]:
    """A JSON list of strings kept in a hash field; [] when it is missing or malformed."""
    try:
        found = json.loads(text(value) or "[]")
    except ValueError:
        return []
    return [str(v) for v in found] if isinstance(found, list) else []


def decode_hash(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    return {text(k) or "": text(v) or "" for k, v in raw.items()}
