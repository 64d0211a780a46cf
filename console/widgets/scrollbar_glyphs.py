"""Scrollbars in ASCII. Textual draws a scrollbar thumb's ends with eighth blocks (▁▂▃ …) for
smoothness; an ASCII console (console.glyphs: LCN_ASCII=1, a locale without UTF-8,
TERM=linux) draws whole cells instead, the thumb in reverse video as Textual draws its body.

Textual makes a renderer for each scrollbar it draws, in the drawing app's context; which
glyphs to use is decided there, per app, so one `lcn serve ssh` process can serve ASCII and
Unicode consoles side by side."""

from __future__ import annotations

from typing import Any, ClassVar

from textual._context import active_app  # the app being drawn (Textual's own context)
from textual.scrollbar import ScrollBar, ScrollBarRender

from console.glyphs import ascii_of


class AsciiScrollBarRender(ScrollBarRender):
    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8  # a blank end is drawn as a whole cell
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


class ScrollBarGlyphs(ScrollBarRender):
    """Textual's renderer, or the ASCII one when the app being drawn is in ASCII."""

    def __new__(cls, *args: Any, **kwargs: Any) -> ScrollBarRender:  # type: ignore[misc]
        if ascii_of(active_app.get(None)):
            return AsciiScrollBarRender(*args, **kwargs)
        return ScrollBarRender(*args, **kwargs)


def install() -> None:
    """Every scrollbar of the process asks ScrollBarGlyphs (it is Textual's documented hook)."""
    ScrollBar.renderer = ScrollBarGlyphs
