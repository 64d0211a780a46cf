"""A job detail's large values (input, code, result kept by CID in the blob table), read once
when the screen first shows the job, on a worker of its own: the poll that refreshes the
screen every second never reads blobs, and a blob already read is not read again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from console.poller import one_line
from core import blobs
from core.errors import LcnError
from core.reads.detail import JobDetail


class LazyBlobs:
    def __init__(self) -> None:
        self.found: dict[str, bytes] = {}
        self.failed: str | None = None  # why they could not be read, in one sentence
        self._asked: set[str] = set()

    def whole(self, detail: JobDetail, screen: Any, redraw: Callable[[], None]) -> JobDetail:
        """The detail with its blobs when they are read; else as it is, and they are asked
        for once (`redraw` runs when they arrive)."""
        wanted = [cid for cid in detail.blob_refs if cid not in self.found]
        if not wanted:
            return detail.with_blobs(self.found)
        if not set(wanted) <= self._asked:
            self._asked.update(wanted)
            screen.run_worker(self._fetch(screen, wanted, redraw), group="blobs")
        return detail

    def note(self, detail: JobDetail) -> str | None:
        """What the Task section says while the detail is not whole."""
        if all(cid in self.found for cid in detail.blob_refs):
            return None
        if self.failed:
            return f"kept by CID and not readable: {self.failed}"
        return "kept by CID in the archive: reading…"

    async def _fetch(self, screen: Any, wanted: list[str], redraw: Callable[[], None]) -> None:
        try:
            store = await screen.app.poller.store()
            self.found.update(await blobs.fetch(store, wanted))
            self.failed = None
        except (RedisError, OSError, LcnError) as exc:
            self.failed = one_line(exc)  # said on the screen; asked again when it is reopened
        redraw()
