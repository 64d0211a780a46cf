"""The whole fleet's map, put together from the chunks successive polls read."""

from __future__ import annotations

from core.reads.map import MapChunk, MapWindow


class MapSweep:
    """Builds the whole fleet's map from the chunks successive polls read.

    A fleet that fits in one chunk is read whole every poll, so the map is live. A larger one
    is swept chunk by chunk: counts gather in `next` and replace `cells` when a sweep completes,
    so the map never shows a half-counted fleet, and its memory is the grid, not the fleet."""

    def __init__(self) -> None:
        self.width = 0
        self.height = 0
        self.cursor = 0
        self.cells: dict[int, list[int]] = {}
        self._next: dict[int, list[int]] = {}
        self.complete = False
        self.sweeps = 0

    def request(self, width: int, height: int, chunk: int = 500) -> MapWindow:
        if (width, height) != (self.width, self.height):
            self.width, self.height = width, height
            self.cursor, self.cells, self._next, self.complete = 0, {}, {}, False
        return MapWindow(width=width, height=height, cursor=self.cursor, chunk=chunk)

    def absorb(self, chunk: MapChunk) -> None:
        if (chunk.width, chunk.height) != (self.width, self.height):
            return
        if chunk.cursor == 0:
            self._next = {}
        chunk.add_to(self._next)
        self.cursor = chunk.next_cursor
        if chunk.next_cursor == 0:
            self.cells, self._next = self._next, {}
            self.complete = True
            self.sweeps += 1
