"""The world map: counts per grid cell for one chunk of the fleet (snapshot_map.lua). Each
poll reads one chunk; the console's sweep puts chunks together into the whole fleet."""

from __future__ import annotations

from pydantic import Field

from core.models.records.fields import int_or
from core.reads.batch import Read, Replies, script
from core.reads.model import Model
from core.reads.replies import script_reply
from core.store import Store

MAP_TOP, MAP_BOTTOM = 84.0, -58.0  # the map's latitude range: no Antarctica, little Arctic


class MapWindow(Model):
    """The map's grid in cells, and where in the fleet this poll's chunk starts."""

    width: int = Field(ge=1, le=1_000)
    height: int = Field(ge=1, le=500)
    cursor: int = Field(default=0, ge=0)
    chunk: int = Field(default=500, ge=1, le=50_000)


class MapChunk(Model):
    """Counts per map cell ([active, busy, draining, offline]) for one chunk of the fleet."""

    width: int
    height: int
    total: int
    cursor: int
    next_cursor: int
    read: int
    cells: dict[int, tuple[int, int, int, int]]

    def add_to(self, sweep: dict[int, list[int]]) -> None:
        """Add this chunk's counts to a sweep's running counts per cell (a map is read a chunk
        per poll; the console and the recorder each add them up until the sweep wraps)."""
        for cell, counts in self.cells.items():
            into = sweep.setdefault(cell, [0, 0, 0, 0])
            for i in range(4):
                into[i] += counts[i]


def map_read(store: Store, window: MapWindow) -> Read[MapChunk]:
    commands = {
        "chunk": script(
            store,
            "snapshot_map",
            [store.keys.nodes_all],
            window.cursor,
            window.chunk,
            window.width,
            window.height,
            MAP_TOP,
            MAP_BOTTOM,
        )
    }

    def decode(r: Replies) -> MapChunk:
        reply = script_reply(r["chunk"])
        cells_raw = reply.get("cells") or {}
        cells = {
            int(k): (int(v[0]), int(v[1]), int(v[2]), int(v[3]))
            for k, v in (cells_raw.items() if isinstance(cells_raw, dict) else [])
        }
        return MapChunk(
            width=window.width,
            height=window.height,
            total=int_or(reply.get("total")),
            cursor=int_or(reply.get("cursor")),
            next_cursor=int_or(reply.get("next")),
            read=int_or(reply.get("read")),
            cells=cells,
        )

    return Read("map", commands, decode)
