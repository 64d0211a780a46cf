"""A job's log lines are hostile text: whatever its program printed, shown later on an
operator's terminal. Each line is cut to a bound and made printable before it is stored, so
no escape sequence, carriage return or bell reaches a terminal and no line is unbounded.
(Shown literally, never as markup: that is the console's side, console/screens/detail.py.)"""

from __future__ import annotations

TAB_WIDTH = 4
UNPRINTABLE = "?"


def printable(line: str, limit: int) -> str:
    """`line` cut to `limit` characters, tabs as spaces, every other character a terminal
    would act on (ESC, CR, BEL, other controls, line or paragraph separators) as '?'."""
    cut = line[:limit]
    if cut.isprintable():
        return cut  # the common case, checked in C
    return "".join(
        c if c.isprintable() else " " * TAB_WIDTH if c == "\t" else UNPRINTABLE for c in cut
    )[:limit]
