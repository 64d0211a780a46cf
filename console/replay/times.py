"""TIME for `--from`, `--to`, `:replay` and the jump prompt: ISO-8601 (UTC unless it says
otherwise) or relative to now (`-30m`, `-2h`, `-1d`, `-90s`, `now`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RELATIVE = re.compile(r"^-(\d{1,9})([smhdw])$")
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
EXAMPLES = "an ISO-8601 time like 2026-11-30T03:12 (UTC unless it says), or -30m, -2h, -1d, now"


def parse_time(text: str, now_ms: int) -> int:
    """Unix ms for `text`; a ValueError says in one sentence what was wrong."""
    given = text.strip()
    if not given:
        raise ValueError(f"No time given: use {EXAMPLES}.")
    if given.lower() == "now":
        return now_ms
    relative = _RELATIVE.match(given.lower())
    if relative:
        return now_ms - int(relative.group(1)) * _UNIT_MS[relative.group(2)]
    if given.startswith(("-", "+")):
        raise ValueError(f"{given!r} is not a time: a relative one is like -30m (s, m, h, d, w).")
    try:
        when = datetime.fromisoformat(given)
    except ValueError:
        raise ValueError(f"{given!r} is not a time: use {EXAMPLES}.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def time_range(start: str | None, end: str | None, now_ms: int) -> tuple[int, int | None]:
    """`--from`/`--to` as (since, until) in ms; until None: up to the newest recording."""
    since = parse_time(start, now_ms) if start is not None else 0
    until = parse_time(end, now_ms) if end is not None else None
    if until is not None and until <= since:
        raise ValueError(f"--to ({end}) must be after --from ({start}).")
    return since, until
