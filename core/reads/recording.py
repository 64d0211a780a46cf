"""A poll snapshot as a recording (what `lcn console --replay` plays): the view the orchestrator
records, the versioned JSON a snapshot is stored as, its compression, and what a replay makes
of a recorded map.

The JSON is `{"v": 1, "snapshot": {...}}`, the snapshot as its pydantic model dumps it: any
lcn reads a version it knows and refuses a newer one in one sentence, instead of drawing a
half-understood past.

Compression: a keyframe every KEYFRAME_EVERY recordings is zstd-compressed alone; each one
after it is compressed with the keyframe's JSON as a raw-content dictionary, so what did not
change since the keyframe costs next to nothing — keyframe and deltas, without a diff format
of our own (tests/archive/bytes_per_recording.py measures it). Any recording is read from
itself and its keyframe alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import zstandard
from pydantic import BaseModel, ValidationError

from core.errors import LcnError
from core.reads.agents import AgentWindow
from core.reads.jobs import JobWindow
from core.reads.map import MapChunk, MapWindow
from core.reads.model import Model
from core.reads.nodes import NodeWindow
from core.reads.snapshot import Snapshot, ViewRequest

FORMAT = 1
# What a recording holds: the first rows of each table in its default order (more than a
# console's pane shows at 80×24, and a tall terminal's), all of the triage, and the map on a
# grid finer than any pane's, which a replay scales down to the pane it draws in.
ROWS = 50
TRIAGE = 50
MAP_GRID = (180, 60)
# Nodes the recorder's map reads per recording: a larger fleet is swept over several
# recordings (core/swarm/recorder.py), so no recording blocks Redis on a long script.
MAP_CHUNK = 2_000
# A keyframe every 60 recordings, or 5 minutes, whichever comes first: a delta against an older
# keyframe grows as the pool drifts from it, and a keyframe in use is never old enough for the
# retention (at least 10 minutes) to prune it. A replay reads at most two rows for any moment.
KEYFRAME_EVERY = 60
KEYFRAME_MAX_AGE_MS = 300_000
LEVEL = 9  # recordings are few (one per period) and kept for days: spend the effort


class RecordingUnreadable(LcnError):
    """A recording this lcn cannot read: damaged, or made by a newer lcn."""


class _Stored(Model):
    v: Literal[1]
    snapshot: Snapshot


class _Version(BaseModel):
    """Only the version, whatever else the recording holds."""

    v: int


def record_view(now_ms: int, map_cursor: int = 0, *, payments_enabled: bool = False) -> ViewRequest:
    """What the recorder reads: every pane's default window, triage, payments and a map chunk."""
    return ViewRequest(
        nodes=NodeWindow(limit=ROWS),
        earnings=NodeWindow(limit=ROWS, newest_first=True, sort="earnings"),
        jobs=JobWindow(limit=ROWS),
        map=MapWindow(width=MAP_GRID[0], height=MAP_GRID[1], cursor=map_cursor, chunk=MAP_CHUNK),
        agents=AgentWindow(limit=ROWS),
        triage=True,
        triage_limit=TRIAGE,
        payments=True,
        payments_enabled=payments_enabled,
        now_ms=now_ms,
    )


def encode(snapshot: Snapshot) -> bytes:
    return b'{"v":%d,"snapshot":%s}' % (FORMAT, snapshot.model_dump_json().encode())


def decode(data: bytes) -> Snapshot:
    try:
        return _Stored.model_validate_json(data).snapshot
    except ValidationError as exc:
        try:
            version = _Version.model_validate_json(data).v
        except ValidationError:
            version = None
        if version is not None and version != FORMAT:
            raise RecordingUnreadable(
                f"The recording is in format {version}, which this lcn does not know "
                f"(it reads {FORMAT}); upgrade lcn."
            ) from exc
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordingUnreadable(
            f"The recording is damaged: {first['msg']}{f' at {where}' if where else ''}."
        ) from exc


@dataclass(frozen=True)
class Packed:
    data: bytes  # what the archive stores
    keyframe: int | None  # the keyframe's time it was compressed against; None: it is one


class Packer:
    """Compresses a recorder's successive recordings: a keyframe, then deltas against it."""

    def __init__(self, keyframe_every: int = KEYFRAME_EVERY) -> None:
        self.keyframe_every = keyframe_every
        self._keyframe: tuple[int, zstandard.ZstdCompressor] | None = None
        self._since = 0

    def pack(self, snapshot: Snapshot, at: int) -> Packed:
        raw = encode(snapshot)
        if (
            self._keyframe is None
            or self._since >= self.keyframe_every - 1
            or at - self._keyframe[0] >= KEYFRAME_MAX_AGE_MS
        ):
            as_dictionary = zstandard.ZstdCompressionDict(
                raw, dict_type=zstandard.DICT_TYPE_RAWCONTENT
            )
            self._keyframe = (at, zstandard.ZstdCompressor(level=LEVEL, dict_data=as_dictionary))
            self._since = 0
            return Packed(zstandard.ZstdCompressor(level=LEVEL).compress(raw), None)
        self._since += 1
        keyframe_at, against = self._keyframe
        return Packed(against.compress(raw), keyframe_at)

    def forget(self) -> None:
        """Start again with a keyframe (the last one may not have reached the archive)."""
        self._keyframe = None


def unpack(data: bytes, keyframe: bytes | None = None) -> Snapshot:
    """A stored recording's snapshot; `keyframe` is its keyframe's stored bytes, for a delta."""
    return decode(unpack_json(data, keyframe))


def unpack_json(data: bytes, keyframe: bytes | None = None) -> bytes:
    try:
        if keyframe is None:
            return zstandard.ZstdDecompressor().decompress(data)
        dictionary = zstandard.ZstdCompressionDict(
            unpack_json(keyframe), dict_type=zstandard.DICT_TYPE_RAWCONTENT
        )
        return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(data)
    except zstandard.ZstdError as exc:
        raise RecordingUnreadable(f"The recording is damaged: {exc}.") from exc


def fit_map(chunk: MapChunk, window: MapWindow) -> MapChunk:
    """A recorded map (the whole fleet, on the recording's grid) scaled to `window`'s grid,
    as one complete chunk, so the console's sweep shows it at once."""
    cells: dict[int, list[int]] = {}
    for cell, counts in chunk.cells.items():
        y, x = divmod(cell, chunk.width)
        into_x = min(window.width - 1, x * window.width // chunk.width)
        into_y = min(window.height - 1, y * window.height // chunk.height)
        into = cells.setdefault(into_y * window.width + into_x, [0, 0, 0, 0])
        for i in range(4):
            into[i] += counts[i]
    return MapChunk(
        width=window.width,
        height=window.height,
        total=chunk.total,
        cursor=0,
        next_cursor=0,
        read=chunk.total,
        cells={cell: (c[0], c[1], c[2], c[3]) for cell, c in cells.items()},
    )


def triage_keys(snapshot: Snapshot) -> set[tuple[str, str]]:
    """Each triage item by what it is about (its kind and target)."""
    if snapshot.triage is None:
        return set()
    return {(item.kind, item.target) for item in snapshot.triage.items}
