"""The console's colours for the terminal it runs in.

In 256 colours and true colour the console uses Textual's dark theme. A 16-colour terminal
gets `lcn-16`, whose colours are the 16 standard ones themselves, so nothing is rounded onto
a shared neighbour: with the dark theme rounded to 16 colours busy (warning), offline (error)
and the focused border (accent) all became the same bright red. Here active is green, busy
yellow, offline red, draining magenta, assigned blue and the focused border cyan. With
NO_COLOR Textual draws in greys; the state glyphs (console.glyphs) keep states apart."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.theme import Theme

DEFAULT_THEME = "textual-dark"
SIXTEEN_COLOURS = ("standard", "windows")

# The standard palette's own values (rich.palette.STANDARD_PALETTE), the bright half for text.
LCN_16 = Theme(
    name="lcn-16",
    primary="#5555FF",  # bright blue: assigned
    secondary="#FF55FF",  # bright magenta: draining
    accent="#55FFFF",  # bright cyan: the focused border, running
    warning="#FFFF55",  # bright yellow: busy, pending, paused
    error="#FF5555",  # bright red: offline, failed, Redis down
    success="#55FF55",  # bright green: active, completed, live
    foreground="#AAAAAA",
    background="#000000",
    surface="#000000",
    panel="#555555",
    boost="#000000",
    dark=True,
    variables={
        "text-secondary": "#FF55FF",
        "text-primary": "#5555FF",
        "text-muted": "#AAAAAA",
        "footer-key-foreground": "#55FFFF",
        "footer-background": "#000000",
        "footer-description-foreground": "#AAAAAA",
    },
)


def colour_system(app: App[Any]) -> str | None:
    """What the terminal shows (Rich's name: standard, 256, truecolor, windows; None: no
    colour), from TEXTUAL_COLOR_SYSTEM or the terminal's TERM/COLORTERM."""
    return app.console.color_system


def default_theme(app: App[Any]) -> str:
    """The theme to start with: `lcn-16` on a 16-colour terminal, else the dark theme."""
    if LCN_16.name not in app.available_themes:
        app.register_theme(LCN_16)
    return LCN_16.name if colour_system(app) in SIXTEEN_COLOURS else DEFAULT_THEME
