"""Rows to a CSV or JSON file, for `e` (export the current view).

Cells come from data anyone can submit (errors, agent names, tags), so the CSV is made safe
for the spreadsheet that opens it: the csv module quotes commas, quotes and line breaks, and a
text cell that a spreadsheet would read as a formula (starting with = + - @, or a tab or
carriage return that hides one) gets a leading apostrophe, as OWASP's CSV-injection advice
says. JSON needs no such care: it is text, with every string escaped by the encoder.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Format = Literal["csv", "json"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_DIR_ENV = "LCN_EXPORT_DIR"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_cell(value: Any) -> Any:
    """A cell as a spreadsheet should see it: text that would start a formula is quoted with a
    leading apostrophe; lists and dicts become JSON; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, what spreadsheets expect
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(c)) for c in columns])
    return out.getvalue()


def json_text(meta: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({**meta, "rows": list(rows)}, ensure_ascii=False, indent=1) + "\n"


def export_dir() -> Path:
    """`$LCN_EXPORT_DIR` when set, else the directory the console was started in."""
    return Path(os.environ.get(EXPORT_DIR_ENV) or ".")


def file_name(pool: str, pane: str, at: datetime, fmt: Format) -> str:
    """`lcn-default-jobs-20261130-161500.csv`: the pool and pane from data are made safe for a
    file name (no separators, no dot files)."""
    pool_part = _UNSAFE_NAME.sub("_", pool).strip("._") or "pool"
    return f"lcn-{pool_part}-{pane}-{at.astimezone(UTC):%Y%m%d-%H%M%S}.{fmt}"


def write_new(directory: Path, name: str, text: str) -> Path:
    """Write `text` to a new file (never over an existing one: `-2`, `-3` … are tried), readable
    by its owner only, since rows may hold what creators submitted."""
    directory.mkdir(parents=True, exist_ok=True)
    stem, dot, ext = name.rpartition(".")
    for n in range(1, 100):
        path = directory / (name if n == 1 else f"{stem}-{n}{dot}{ext}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        return path.resolve()
    raise FileExistsError(f"{directory / name} and 98 numbered copies already exist.")


def iso_times(row: Mapping[str, Any]) -> dict[str, Any]:
    """Unix-millisecond fields (`…_at`, `last_seen`, `last_heartbeat`) as ISO 8601 UTC, so a
    spreadsheet shows dates; everything else as the read gave it (money in micro-USD)."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        timed = name.endswith("_at") or name in ("last_seen", "last_heartbeat", "since_ms")
        if timed and isinstance(value, int) and not isinstance(value, bool):
            value = datetime.fromtimestamp(value / 1000, UTC).isoformat(timespec="milliseconds")
        out[name] = value
    return out
