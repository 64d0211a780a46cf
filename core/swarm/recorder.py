"""The recorder, a duty of the orchestrator: every LCN_RECORD_EVERY seconds it reads the same
snapshot the console polls (core/reads/snapshot.py, one pipelined round trip, every pane's
default window) and stores it in the archive's `recordings` table, compressed; recordings older
than LCN_RECORD_RETENTION are pruned. `lcn console --replay` plays them.

Crash-safe and bounded: one recording is one idempotent insert keyed by (pool, time), so a
crash loses at most the recording under way, and a new run (or a failed insert) starts with a
keyframe, so no delta points at a keyframe that was never stored (core/reads/recording.py); a
recording's size is bounded by its windows (50
rows a table, 50 triage items, a fixed map grid), and the table by the retention. A fleet larger
than one map chunk is swept over several recordings (as the console does over polls): each
recording carries the last complete sweep, so its map may lag the tables by a few recordings.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from core.archive import Archive, Recording
from core.config import Settings
from core.payments import mode as payments_mode
from core.reads import recording
from core.reads.map import MapChunk
from core.reads.snapshot import Snapshot, poll
from core.store import Store

log = logging.getLogger("lcn.recorder")

PRUNE_EVERY_S = 60.0  # the retention is days; pruning once a minute keeps each delete small


@dataclass(frozen=True)
class RecordRun:
    at: int  # the recording's time (ms)
    stored_bytes: int  # compressed, as stored
    pruned: int  # recordings past the retention forgotten in this run


class MapSweep:
    """The whole fleet's map from chunks read by successive recordings."""

    def __init__(self) -> None:
        self.cursor = 0
        self._next: dict[int, list[int]] = {}
        self.whole: MapChunk | None = None

    def absorb(self, chunk: MapChunk) -> MapChunk:
        """Take this recording's chunk; returns the map to record (the last whole sweep, or
        what the first sweep has counted so far)."""
        if chunk.cursor == 0:
            self._next = {}
        chunk.add_to(self._next)
        self.cursor = chunk.next_cursor
        done = chunk.next_cursor == 0
        counted = {c: (n[0], n[1], n[2], n[3]) for c, n in self._next.items()}
        swept = chunk.model_copy(update={"cursor": 0, "next_cursor": 0, "cells": counted})
        if done:
            self.whole = swept.model_copy(update={"read": chunk.total})
        return self.whole or swept


class RecorderDuty:
    """The orchestrator's recorder: opens the archive on its first run and keeps it open."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.every_s = settings.record_every_s
        self.retention_s = settings.record_retention_s
        self.map = MapSweep()
        self.payments = payments_mode.enabled(settings)  # the earnings pane's payouts line
        self.packer = recording.Packer()
        self._archive: Archive | None = None
        self._last_prune = 0.0

    async def snapshot(self, store: Store, now_ms: int) -> Snapshot:
        """What the console would show now, with the fleet's whole map."""
        view = recording.record_view(now_ms, self.map.cursor, payments_enabled=self.payments)
        found = await poll(store, view)
        if found.map is None:
            return found
        return found.model_copy(update={"map": self.map.absorb(found.map)})

    async def run(self, store: Store, *, now_ms: int | None = None) -> RecordRun:
        now = int(time.time() * 1000) if now_ms is None else now_ms
        snapshot = await self.snapshot(store, now)
        packed = self.packer.pack(snapshot, now)
        if self._archive is None:
            self._archive = await Archive.open(self.settings)
        stored = Recording(pool=store.pool, at=now, keyframe=packed.keyframe, snapshot=packed.data)
        await self._archive.put_recordings([stored])
        pruned = 0
        if time.monotonic() - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = time.monotonic()
            pruned = await self._archive.prune_recordings(store.pool, now - self.retention_s * 1000)
            if pruned:
                log.info("pruned %d recordings older than %d s", pruned, self.retention_s)
        return RecordRun(at=now, stored_bytes=len(packed.data), pruned=pruned)

    async def close(self) -> None:
        """After a failure too: the next recording is a keyframe (the last one may not have
        been stored, and no delta may point at a keyframe that is not there)."""
        self.packer.forget()
        if self._archive is not None:
            await self._archive.close()
            self._archive = None
