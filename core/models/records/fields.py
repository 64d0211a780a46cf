"""The one set of parsers for Redis hash fields. Redis gives bytes (or str with
decode_responses, or None/False from a Lua HMGET of a missing field); every record codec reads
its fields through these, so a missing or malformed field means the same thing everywhere: an
absent value, never an exception on the read path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.models.base import ms_to_datetime

# A hash as any reader holds it: HGETALL's bytes, a decoded dict, or a script's HMGET row.
RawHash = Mapping[Any, Any]


def text(value: Any) -> str | None:
    """The field as text; None when it is absent (a Lua false is an absent field too)."""
    if value is None or value is False:
        return None
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def opt_text(value: Any) -> str | None:
    """The field as text; None when it is absent or empty (Lua writes '' for "none")."""
    return text(value) or None


def opt_float(value: Any) -> float | None:
    found = text(value)
    if not found:
        return None
    try:
        return float(found)
    except ValueError:
        return None


def opt_int(value: Any) -> int | None:
    """An integer field; Lua may have written it as a float ('3.0'), so it is read through
    float and truncated. None when absent, empty or not a number."""
    parsed = opt_float(value)
    return None if parsed is None else int(parsed)


def int_or(value: Any, default: int = 0) -> int:
    parsed = opt_int(value)
    return default if parsed is None else parsed


def exact_int(value: Any) -> int | None:
    """An integer written as one ('12', never '12.0'): money the books prove to the micro-USD.
    None when absent, empty or anything else."""
    found = text(value)
    if not found:
        return None
    try:
        return int(found)
    except ValueError:
        return None


def flag(value: Any) -> bool:
    """A 0/1 field."""
    return text(value) == "1"


def ms_time(value: Any) -> datetime | None:
    """A Unix-milliseconds field as a time; None when absent, zero or negative."""
    ms = opt_int(value)
    return ms_to_datetime(ms) if ms is not None and ms > 0 else None


def json_list(value: Any) -> list[str]:
    """A field holding a JSON list of strings; [] when absent or not a list."""
    try:
        found = json.loads(text(value) or "[]")
    except ValueError:
        return []
    return [str(v) for v in found] if isinstance(found, list) else []


def named(raw: RawHash) -> Mapping[str, Any]:
    """The hash keyed by field name as text (HGETALL gives bytes names); values as they are."""
    if all(isinstance(k, str) for k in raw):
        return raw
    return {text(k) or "": v for k, v in raw.items()}


def decode_hash(raw: RawHash | None) -> dict[str, str]:
    """A hash with its names and values as text (absent values as '')."""
    if not raw:
        return {}
    return {text(k) or "": text(v) or "" for k, v in raw.items()}
