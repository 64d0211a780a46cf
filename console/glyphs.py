"""What marks a state besides its colour, and which characters the terminal can draw.

Each state has a glyph, so states stay apart in 16 colours, in monochrome and with NO_COLOR.
One shape means one kind of state for nodes, jobs and agents alike:
● ready, ◐ at work, ◔ handed over, ○ waiting, ◌ winding down, ⊘ stopped, ✓ done, ✕ down or
failed. A terminal without those characters (LCN_ASCII=1, or a locale that is not UTF-8, or a
console such as TERM=linux whose font has no braille) gets the ASCII column instead."""

from __future__ import annotations

import os
from collections.abc import Mapping

from rich.text import Text

# state: (glyph, ASCII glyph)
STATE_GLYPHS: dict[str, tuple[str, str]] = {
    # nodes
    "active": ("●", "+"),
    "busy": ("◐", "*"),
    "draining": ("◌", "~"),
    "offline": ("✕", "x"),
    # jobs
    "pending": ("○", "o"),
    "assigned": ("◔", ">"),
    "running": ("◐", "*"),
    "completed": ("✓", "v"),
    "failed": ("✕", "x"),
    "cancelled": ("⊘", "-"),
    # agents
    "idle": ("●", "+"),
    "working": ("◐", "*"),
    "stalled": ("✕", "x"),
    "stopped": ("⊘", "-"),
}
# The connection in the status line.
LIVE = ("●", "+")
CONNECTING = ("○", "o")
DOWN = ("✕", "x")

_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")
_NO_UNICODE_TERMS = ("linux", "dumb", "vt52", "vt100", "vt102", "vt220", "vt320", "cons25")


def wants_ascii(environ: Mapping[str, str] | None = None) -> bool:
    """LCN_ASCII=1 forces ASCII and LCN_ASCII=0 forces Unicode; otherwise ASCII when the
    locale's character set is not UTF-8 (the first of LC_ALL, LC_CTYPE, LANG that is set; none
    means the C locale) or the terminal is one whose font lacks braille (TERM=linux, vt…)."""
    env = os.environ if environ is None else environ
    forced = env.get("LCN_ASCII", "").strip().lower()
    if forced in _YES:
        return True
    if forced in _NO:
        return False
    if env.get("TERM", "").lower() in _NO_UNICODE_TERMS:
        return True
    locale = next((env[v] for v in ("LC_ALL", "LC_CTYPE", "LANG") if env.get(v)), "")
    charset = locale.partition(".")[2].partition("@")[0].lower().replace("-", "")
    return charset != "utf8"


def glyph(state: str, ascii_only: bool = False) -> str:
    """The state's glyph ("" for a state without one)."""
    pair = STATE_GLYPHS.get(state)
    return "" if pair is None else pair[1 if ascii_only else 0]


def pick(pair: tuple[str, str], ascii_only: bool) -> str:
    return pair[1 if ascii_only else 0]


def labelled(state: str, ascii_only: bool = False, label: str | None = None) -> str:
    """`◐ busy`: the glyph, then the state (or `label`) in words."""
    mark = glyph(state, ascii_only)
    text = state if label is None else label
    return f"{mark} {text}" if mark else text


# Punctuation the console writes itself, and what an ASCII terminal gets instead.
ASCII_PUNCTUATION = {
    "…": "...",
    "·": "-",
    "–": "-",
    "—": "-",
    "↓": "v",
    "↑": "^",
    "×": "x",
    "←": "<",
    "→": ">",
}
_ASCII_TABLE = str.maketrans(ASCII_PUNCTUATION)


def ascii_of(app: object) -> bool:
    """Whether `app` (the console) draws in ASCII (its state says; False for another app)."""
    return bool(getattr(getattr(app, "state", None), "ascii", False))


def plain(text: str, ascii_only: bool) -> str:
    """`text` with the console's Unicode punctuation spelled in ASCII when `ascii_only`."""
    return text.translate(_ASCII_TABLE) if ascii_only else text


def plain_text(text: Text, ascii_only: bool) -> Text:
    """The same for styled text: each styled run is translated on its own, so the styles
    stay on the characters they were on."""
    if not ascii_only or not any(mark in text.plain for mark in ASCII_PUNCTUATION):
        return text
    out = text.blank_copy()
    cuts = sorted({span.start for span in text.spans} | {span.end for span in text.spans})
    for part in text.divide(cuts):
        piece = Text(plain(part.plain, True))  # the base style is the copy's own
        for span in part.spans:  # each covers the whole run: it was cut at every span's ends
            piece.stylize(span.style)
        out.append_text(piece)
    return out
