"""Textual's sparkline, drawn in ASCII when the console's glyph set is (console.glyphs): its
bars are block characters (▁…█) that a terminal without them shows as boxes or nothing."""

from __future__ import annotations

from fractions import Fraction

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widgets import Sparkline


def ascii_bars(data: list[float], width: int, height: int) -> str:
    """`height` rows of `width` columns: each column the largest value of its share of `data`,
    scaled between the smallest and the largest as Textual's sparkline scales it, in halves of
    a row: `#` a full cell, `:` half of one."""
    width, height = max(1, width), max(1, height)
    if not data:
        return "\n".join([" " * width] * (height - 1) + ["_" * width])
    step = Fraction(len(data), width)
    columns = [
        max(data[int(step * i) : max(int(step * (i + 1)), int(step * i) + 1)]) for i in range(width)
    ]
    low, high = min(data), max(data)
    extent = (high - low) or 1.0
    halves = [round((v - low) / extent * height * 2) for v in columns]
    rows = []
    for row in reversed(range(height)):
        cells = [
            "#" if h >= row * 2 + 2 else ":" if h == row * 2 + 1 else "_" if row == h == 0 else " "
            for h in halves
        ]
        rows.append("".join(cells))
    return "\n".join(rows)


class Spark(Sparkline):
    def render(self) -> RenderResult:
        state = getattr(self.app, "state", None)
        if not getattr(state, "ascii", False):
            return super().render()
        colour = self.get_component_styles("sparkline--max-color").color.rich_color
        data = [float(v) for v in self.data or []]
        text = ascii_bars(data, self.size.width, self.size.height)
        return Text(text, style=Style(color=colour), no_wrap=True, overflow="crop")
