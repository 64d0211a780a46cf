"""The world map: coastlines in braille dots from the embedded land mask (ASCII `.` and `:`
where the terminal has no braille), every node at its latitude/longitude as its state's glyph
in its state's colour, a count where several share a cell, the selected node highlighted.
Drawn line by line (the Line API) from a cache rebuilt only when the data, the selection or
the size changes."""

from __future__ import annotations

from functools import cache
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from console.glyphs import glyph
from console.widgets import land_mask
from core.reads.map import MAP_BOTTOM, MAP_TOP

STATES = ("active", "busy", "draining", "offline")
# Braille dot bits by (column, row) inside a 2×4 character cell.
_DOTS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


@cache
def land_lines(width: int, height: int) -> tuple[str, ...]:
    """The coastline layer at `width`×`height` characters (2×4 dots each)."""
    rows = land_mask.land_rows()
    lines = []
    for cy in range(height):
        chars = []
        for cx in range(width):
            bits = 0
            for dx in range(2):
                for dy in range(4):
                    px = (cx * 2 + dx) * land_mask.WIDTH // (width * 2)
                    lat = MAP_TOP - ((cy * 4 + dy) + 0.5) * (MAP_TOP - MAP_BOTTOM) / (height * 4)
                    py = int((land_mask.TOP - lat) / (land_mask.TOP - land_mask.BOTTOM)
                             * land_mask.HEIGHT)  # fmt: skip
                    if 0 <= py < land_mask.HEIGHT and rows[py][px]:
                        bits |= _DOTS[dx][dy]
            chars.append(chr(0x2800 + bits) if bits else " ")
        lines.append("".join(chars))
    return tuple(lines)


@cache
def ascii_land_lines(width: int, height: int) -> tuple[str, ...]:
    """The same coastline in ASCII, for a terminal without braille: a cell with a few land
    dots is `.`, a mostly-land one `:`."""
    return tuple(
        "".join(_ASCII_LAND[bin(ord(c) - 0x2800).count("1")] if c != " " else " " for c in line)
        for line in land_lines(width, height)
    )


_ASCII_LAND = " ....::::"


def cell_of(lat: float, lon: float, width: int, height: int) -> int:
    """The same projection as lua/snapshot_map.lua."""
    x = max(0, min(width - 1, int((lon + 180) / 360 * width)))
    y = max(0, min(height - 1, int((MAP_TOP - lat) / (MAP_TOP - MAP_BOTTOM) * height)))
    return y * width + x


def marker(counts: list[int] | tuple[int, ...], ascii_only: bool = False) -> tuple[str, int]:
    """The glyph for a cell's nodes and the index of the state that colours it (the most
    common; ties go to the more severe state so trouble is not hidden). One node shows its
    state's glyph (● ◐ ◌ ✕), so the map reads without colour too; several show their count."""
    total = sum(counts)
    state = max(range(4), key=lambda i: (counts[i], i))
    if total == 1:
        return glyph(STATES[state], ascii_only), state
    return (str(total) if total < 10 else "#" if ascii_only else "+"), state


class WorldMap(Widget):
    partial_legend: ClassVar[bool] = True  # off: the whole map rebuilt (bench baseline)
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "worldmap--land", "worldmap--active", "worldmap--busy", "worldmap--draining",
        "worldmap--offline", "worldmap--selected", "worldmap--legend",
    }  # fmt: skip

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.cells: dict[int, list[int]] = {}
        self.grid = (0, 0)
        self.selected: int | None = None
        self.legend = ""
        self.ascii_only = False  # ASCII coastline and glyphs (console.glyphs.wants_ascii)
        self._strips: list[Strip] | None = None
        # The styles the cached lines were built with (a legend-only change reuses them).
        self._state_styles: list[Style] = []
        self._legend_style = Style()

    @property
    def grid_size(self) -> tuple[int, int]:
        """The grid the map asks the snapshot for: its content size less the legend line."""
        width, height = self.content_size
        return max(0, width), max(0, height - 1)

    def set_cells(self, width: int, height: int, cells: dict[int, list[int]]) -> None:
        if (width, height) == self.grid and cells == self.cells:
            return
        self.grid, self.cells = (width, height), cells
        self._invalidate()

    def set_selected(self, lat: float | None, lon: float | None) -> None:
        cell = None
        width, height = self.grid_size
        if lat is not None and lon is not None and width and height:
            cell = cell_of(lat, lon, width, height)
        if cell != self.selected:
            self.selected = cell
            self._invalidate()

    def set_ascii(self, ascii_only: bool) -> None:
        if ascii_only != self.ascii_only:
            self.ascii_only = ascii_only
            self._invalidate()

    def set_legend(self, text: str) -> None:
        """The legend line (the sweep's progress changes it at every poll of a large fleet):
        only that line is built and repainted again, not the map above it."""
        if text == self.legend:
            return
        self.legend = text
        strips = self._strips
        width, height = self.content_size
        if strips is None or len(strips) != height or not height or not self.partial_legend:
            self._invalidate()
            return
        strips[-1] = self._legend_strip(width, self._state_styles)
        self.refresh(Region(0, height - 1, width, 1))  # content coordinates

    def _invalidate(self) -> None:
        self._strips = None
        self.refresh()

    def on_resize(self) -> None:
        self._invalidate()

    def notify_style_update(self) -> None:
        """A theme change restyles the cached lines too."""
        super().notify_style_update()
        self._strips = None

    def _style(self, component: str) -> Style:
        """A component's colour on the widget's own background (a component's computed
        style would otherwise carry a background of its own)."""
        full = self.get_component_rich_style(component)
        return self.rich_style + Style(color=full.color, bold=full.bold)

    def _build(self) -> list[Strip]:
        width, height = self.grid_size
        cells = self.cells if self.grid == (width, height) else {}
        out_width, out_height = self.content_size
        base = self.rich_style
        land = self._style("worldmap--land")
        states = self._state_styles = [self._style(f"worldmap--{s}") for s in STATES]
        self._legend_style = self._style("worldmap--legend")
        marked = self.get_component_rich_style("worldmap--selected")
        selected = Style(bold=marked.bold, reverse=marked.reverse, underline=marked.underline)
        strips: list[Strip] = []
        plain = self.ascii_only
        draw_land = ascii_land_lines if plain else land_lines
        lines = draw_land(width, height) if width and height else ()
        for y in range(max(0, out_height - 1)):
            if y >= len(lines) or width != out_width:
                strips.append(Strip.blank(out_width, base))
                continue
            segments: list[Segment] = []
            run = []
            for x, char in enumerate(lines[y]):
                cell = y * width + x
                counts = cells.get(cell)
                if counts is None and cell != self.selected:
                    run.append(char)
                    continue
                if run:
                    segments.append(Segment("".join(run), land))
                    run = []
                if counts is None:
                    empty = "." if plain else "·"
                    segments.append(Segment(char if char != " " else empty, land + selected))
                    continue
                mark, state = marker(counts, plain)
                style: Style = states[state]
                if cell == self.selected:
                    style += selected
                segments.append(Segment(mark, style))
            if run:
                segments.append(Segment("".join(run), land))
            strips.append(Strip(segments, out_width).extend_cell_length(out_width, base))
        legend = self._legend_strip(out_width, states)
        if out_height:
            strips.append(legend)
        return strips

    def _legend_strip(self, width: int, states: list[Style]) -> Strip:
        style = self._legend_style
        segments = []
        for name, state_style in zip(STATES, states, strict=True):
            mark = glyph(name, self.ascii_only)
            segments += [Segment(f"{mark} ", state_style), Segment(f"{name}  ", style)]
        segments.append(Segment(self.legend, style))
        return Strip(segments).crop_extend(0, width, style)

    def render_line(self, y: int) -> Strip:
        if self._strips is None or len(self._strips) != self.content_size.height:
            self._strips = self._build()
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.content_size.width, self.rich_style)
