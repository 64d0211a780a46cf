"""The process's one archive connection for reads that fall back to it (a job that left Redis).

Opened on first use, not at connect: most commands never read the archive, and importing the
database drivers costs more than a whole `lcn job get`. Shared by everything holding the Store
and closed with it. A read never creates the archive: with the default SQLite file absent (no
job was ever archived here), or a configured database that cannot be opened, there is simply
nothing to fall back to, and the caller says "not found" as before; a failed open is tried
again after a while rather than on every read, so a console polling every second does not
hammer a database that is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import Settings
from core.errors import SetupError

if TYPE_CHECKING:
    from core.archive.archive import Archive

log = logging.getLogger("lcn.archive")

RETRY_AFTER_S = 30.0


class ArchiveHandle:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._archive: Archive | None = None
        self._lock = asyncio.Lock()
        self._failed_at: float | None = None
        self._closed = False

    @property
    def opened(self) -> bool:
        return self._archive is not None

    @property
    def inline_max(self) -> int:
        """Bytes above which a job's input, code or result goes to the blob table (core/blobs)."""
        return self._settings.inline_max

    async def for_writing(self) -> Archive:
        """The archive, opened once and created when absent (a large input is the first thing
        this host ever stores there); any failure is raised, since the write cannot go on."""
        if self._archive is not None:
            return self._archive
        if self._closed:
            raise SetupError("The archive was closed with its store.")
        from core.archive.archive import Archive

        async with self._lock:
            if self._archive is not None:
                return self._archive
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S:
                raise SetupError("The archive could not be opened a moment ago; tried again soon.")
            try:
                self._archive = await Archive.open(self._settings)
            except Exception as exc:  # any driver or network error, said in one sentence
                self._failed_at = time.monotonic()
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise SetupError(f"The archive cannot be opened: {first}") from exc
            self._failed_at = None
            return self._archive

    async def get(self) -> Archive | None:
        """The archive, opened once; None when there is none to read (never an error)."""
        if self._archive is not None or self._closed:
            return self._archive
        async with self._lock:
            if self._archive is not None or self._closed:
                return self._archive
            if self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S:
                return None
            try:
                self._archive = await self._open()
            except Exception as exc:  # any driver or network error: the reads go on without it
                log.warning("the archive cannot be opened; reads do not fall back to it: %s", exc)
                self._failed_at = time.monotonic()
            return self._archive

    async def _open(self) -> Archive | None:
        from core.archive.archive import Archive
        from core.archive.engine import archive_url

        url = archive_url(self._settings)
        if url.get_backend_name() == "sqlite" and not _sqlite_file_exists(url.database):
            return None  # nothing archived here yet: looked at again (one stat) next time
        return await Archive.open(self._settings)

    async def close(self) -> None:
        self._closed = True
        archive, self._archive = self._archive, None
        if archive is not None:
            await archive.close()


def _sqlite_file_exists(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and Path(str(database)).is_file()
