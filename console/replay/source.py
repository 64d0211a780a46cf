"""The poller's source during a replay: the recording at the timeline's position, fitted to the
windows on screen, instead of a read of the live pool (console.poller.SnapshotSource).

The archive is opened on the first read (in the poller's worker, on the console's event loop),
and only the recording shown is read, with its keyframe: a few recently shown are kept decoded,
so stepping back and forth reads nothing again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from console.format import clock
from console.poller import one_line
from console.replay.timeline import Timeline
from core.archive import Archive
from core.config import Settings
from core.errors import LcnError
from core.reads import recording
from core.reads.model import Page
from core.reads.snapshot import Snapshot, ViewRequest

KEEP_DECODED = 16
KEEP_KEYFRAMES = 4
TIMELINE_LIMIT = 200_000  # recorded times a replay holds (a week at 5 s is ~121,000)
TRIAGE_BATCH = 200  # recordings `n` reads per archive query while it looks ahead
TRIAGE_LOOK_AHEAD = 20_000  # at most this many (a day at 5 s) before it says there is none

RowT = TypeVar("RowT")


class ReplayFailed(RuntimeError):
    """The replay cannot show what was asked (no recording, the archive away): one sentence."""


class ReplaySource:
    live = False

    def __init__(
        self,
        settings: Settings,
        *,
        since: int = 0,
        until: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.pool = settings.pool
        self.since, self.until = since, until
        self.timeline: Timeline | None = None  # None until the first read found recordings
        self.live_reason: str | None = None  # the console's read-only reason before the replay
        self.truncated = False  # the range held more than TIMELINE_LIMIT recordings
        self._archive: Archive | None = None
        self._decoded: OrderedDict[int, Snapshot] = OrderedDict()
        self._keyframes: OrderedDict[int, bytes] = OrderedDict()
        self._monotonic = monotonic
        self._last_read: float | None = None

    def range_words(self) -> str:
        start = clock(self.since) if self.since else "the first recording"
        end = clock(self.until) if self.until is not None else "the last"
        return f"between {start} and {end} UTC"

    async def archive(self) -> Archive:
        if self._archive is None:
            try:
                self._archive = await Archive.open(self.settings)
            except Exception as exc:
                raise ReplayFailed(f"Cannot open the archive: {one_line(exc)}") from exc
        return self._archive

    async def load(self) -> Timeline:
        """The timeline of the range (read once); ReplayFailed when nothing was recorded."""
        if self.timeline is None:
            archive = await self.archive()
            times = await archive.recording_times(
                self.pool, since=self.since, until=self.until, limit=TIMELINE_LIMIT
            )
            self.truncated = len(times) == TIMELINE_LIMIT
            if not times:
                raise ReplayFailed(
                    f"No recording of pool {self.pool} {self.range_words()}: the orchestrator "
                    "records every LCN_RECORD_EVERY seconds (5 by default) while it runs."
                )
            self.timeline = Timeline(times)
        return self.timeline

    async def read(self, request: ViewRequest) -> Snapshot:
        timeline = await self.load()
        now = self._monotonic()
        if self._last_read is not None:
            timeline.advance(now - self._last_read)
        self._last_read = now
        return fit(await self.snapshot_at(timeline.at), request)

    def played(self) -> None:
        """Play from now on (the time paused does not count as played)."""
        self._last_read = self._monotonic()

    async def snapshot_at(self, at: int) -> Snapshot:
        if at in self._decoded:
            self._decoded.move_to_end(at)
            return self._decoded[at]
        archive = await self.archive()
        found = await archive.get_recording(self.pool, at)
        if found is None:  # pruned since the timeline was read
            raise ReplayFailed(f"The recording of {clock(at)} UTC is no longer in the archive.")
        keyframe = None
        if found.keyframe is not None:
            keyframe = await self._keyframe(archive, found.keyframe)
        try:
            snapshot = recording.unpack(found.snapshot, keyframe)
        except LcnError as exc:  # not the poller's "Redis is away": a sentence of its own
            raise ReplayFailed(f"The recording of {clock(at)} UTC: {exc}") from exc
        self._decoded[at] = snapshot
        while len(self._decoded) > KEEP_DECODED:
            self._decoded.popitem(last=False)
        return snapshot

    async def _keyframe(self, archive: Archive, at: int) -> bytes:
        if at not in self._keyframes:
            found = await archive.get_recording(self.pool, at)
            if found is None:
                raise ReplayFailed(f"The keyframe of {clock(at)} UTC is missing from the archive.")
            self._keyframes[at] = found.snapshot
            while len(self._keyframes) > KEEP_KEYFRAMES:
                self._keyframes.popitem(last=False)
        return self._keyframes[at]

    async def next_triage(self) -> int | None:
        """The index of the next recording with a triage item the shown one does not have, or
        None when there is none (within TRIAGE_LOOK_AHEAD recordings)."""
        timeline = await self.load()
        seen = recording.triage_keys(await self.snapshot_at(timeline.at))
        index = timeline.index + 1
        while index < min(timeline.total, timeline.index + 1 + TRIAGE_LOOK_AHEAD):
            for at in timeline.times[index : index + TRIAGE_BATCH]:
                if recording.triage_keys(await self.snapshot_at(at)) - seen:
                    return index
                index += 1
        return None

    async def close(self) -> None:
        archive, self._archive = self._archive, None
        if archive is not None:
            await archive.close()


def fit(snapshot: Snapshot, request: ViewRequest) -> Snapshot:
    """The recorded snapshot as the panes on screen asked for it: each table's window cut out
    of the recorded rows, the map scaled to the pane's grid, and a detail screen told that a
    recording holds no details."""
    update: dict[str, object] = {}
    for name, window in (("nodes", request.nodes), ("earnings", request.earnings)):
        page = getattr(snapshot, name)
        if window is not None and page is not None:
            update[name] = _window(page, window.offset, window.limit)
    if request.jobs is not None and snapshot.jobs is not None:
        update["jobs"] = _window(snapshot.jobs, request.jobs.offset, request.jobs.limit)
    if request.map is not None and snapshot.map is not None:
        update["map"] = recording.fit_map(snapshot.map, request.map)
    missing = request.job_detail or request.node_detail
    if missing:
        update["detail_missing"] = missing
    return snapshot.model_copy(update=update) if update else snapshot


def _window(page: Page[RowT], offset: int, limit: int) -> Page[RowT]:
    start = max(0, offset - page.offset)
    return page.model_copy(update={"rows": page.rows[start : start + limit], "offset": offset})
