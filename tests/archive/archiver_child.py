"""Run by test_archiver.py as a separate process: write a batch of due jobs to the archive and
die the way a kill does (no cleanup) before removing them from Redis.

    python -m tests.archive.archiver_child   (Redis, pool and archive from the environment)
"""

from __future__ import annotations

import asyncio
import os
import sys

from core.archive import Archive
from core.config import load_settings
from core.store import connect
from core.swarm.archiver import Retention, covered_until, due_jobs, write_batch

KILLED = 77


async def main() -> None:
    settings = load_settings()
    store = await connect(settings)
    archive = await Archive.open(settings)
    retention = Retention(window_s=0, keep_jobs=0, batch=int(sys.argv[1]))
    ids = await due_jobs(store, retention, 2**50, await covered_until(store))
    refs, _run = await write_batch(store, archive, ids)
    if refs:
        os._exit(KILLED)  # archived, not yet removed from Redis
    sys.exit("nothing was due")


if __name__ == "__main__":
    asyncio.run(main())
