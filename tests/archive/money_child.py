"""Run by tests/payments/test_money_archive.py as a separate process: archive the due money
records and die the way a kill does (no cleanup, no rollback sent), either right after the
batch's first INSERT ran with nothing committed (`insert`), or after the batch was written to
the archive but before it was removed from Redis (`written`).

    python -m tests.archive.money_child insert|written   (Redis, pool, archive from the env)
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from sqlalchemy import event

from core.archive import Archive
from core.config import load_settings
from core.store import connect
from core.swarm.archive_money import due_records, write_money_batch
from core.swarm.archiver import covered_until

KILLED = 77
FAR = 2**50


async def main(mode: str) -> None:
    settings = load_settings()
    store = await connect(settings)
    archive = await Archive.open(settings)
    if mode == "insert":

        @event.listens_for(archive.engine.sync_engine, "after_cursor_execute")
        def die(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO MONEY_RECORDS"):
                os._exit(KILLED)

    cutoff = min(FAR, await covered_until(store))
    due = await due_records(store, 500, cutoff)
    refs, _kept = await write_money_batch(store, archive, due, cutoff)
    if refs and mode == "written":
        os._exit(KILLED)  # archived, not yet removed from Redis
    sys.exit("nothing was due" if not refs else "the batch was archived without dying")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
