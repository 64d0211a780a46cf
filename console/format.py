"""How the console writes numbers, times and ids: short, fixed-width where it matters, the
same in every pane."""

from __future__ import annotations

from datetime import UTC, datetime

from core.money import format_usd

__all__ = ["ago", "clock", "compact", "duration", "load_bar", "short_id", "usd", "usd_exact"]

SPARK = "▁▂▃▄▅▆▇█"
# The same eight steps for a terminal without block characters (console.glyphs), lowest first.
SPARK_ASCII = "_.-:=+*#"


def short_id(value: str | None, size: int = 10) -> str:
    """The tail of a CID: the head (`bafyrei…`) is the same for every record."""
    if not value:
        return "-"
    return "…" + value[-size:] if len(value) > size + 1 else value


def usd(micro: int | None) -> str:
    return "-" if micro is None else format_usd(micro)


def usd_exact(micro: int | None) -> str:
    """Dollars to the micro-dollar, trailing zeros dropped down to cents: $1.25, $1.89081,
    $0.012345. For a view where every amount is compared with the others (a job's cost, its
    history), so none is rounded away."""
    if micro is None:
        return "-"
    sign = "-" if micro < 0 else ""
    whole, part = divmod(abs(micro), 1_000_000)
    decimals = f"{part:06d}".rstrip("0").ljust(2, "0")
    return f"{sign}${whole:,}.{decimals}"


def compact(n: int) -> str:
    """1234 → 1.2k: counts in a status line that must fit in 80 columns."""
    if n < 1_000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1_000:.1f}k".replace(".0k", "k")
    return f"{n / 1_000_000:.1f}M".replace(".0M", "M")


def duration(ms: int) -> str:
    seconds = max(0, ms // 1000)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86_400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86_400}d{(seconds % 86_400) // 3600}h"


def ago(then_ms: int | None, now_ms: int) -> str:
    if not then_ms:
        return "-"
    return duration(now_ms - then_ms)


def clock(ms: int | None) -> str:
    if not ms:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def load_bar(fraction: float, width: int = 5, ascii_only: bool = False) -> str:
    """A bar of eighths: resolution without colour, for monochrome terminals too. In ASCII a
    bar of halves: `#` a full cell, `=` half of one, `.` empty."""
    fraction = max(0.0, min(1.0, fraction))
    if ascii_only:
        full, half = divmod(round(fraction * width * 2), 2)
        return ("#" * full + "=" * half).ljust(width, ".")
    full, part = divmod(round(fraction * width * 8), 8)
    bar = "█" * full + (SPARK[part - 1] if part else "")
    return bar.ljust(width, "·")


def sparkline(values: list[int], width: int, ascii_only: bool = False) -> str:
    """Text sparkline of the last `width` values, scaled to their own maximum."""
    steps = SPARK_ASCII if ascii_only else SPARK
    tail = values[-width:] if width > 0 else []
    top = max(tail, default=0)
    if top <= 0:
        return steps[0] * len(tail)
    return "".join(steps[min(7, (v * 8 - 1) // top)] if v > 0 else " " for v in tail)
