"""Run by test_crash.py as a separate process: archive a batch of jobs and die the way a kill
does (no cleanup, no rollback sent) right after the batch's first INSERT statement ran, with
the rest of the batch still to go and nothing committed.

    python -m tests.archive.crash_mid_batch JOBS   (archive from LCN_ARCHIVE_URL / LCN_DATA_DIR)
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from sqlalchemy import event

from core.archive import Archive
from core.config import load_settings
from tests.archive.samples import noop_job

KILLED = 77
T0 = 1_796_051_502_525


async def main(jobs: int) -> None:
    archive = await Archive.open(load_settings())

    @event.listens_for(archive.engine.sync_engine, "after_cursor_execute")
    def die(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO JOBS"):
            os._exit(KILLED)

    await archive.put_jobs(noop_job(n, T0 + n) for n in range(jobs))
    sys.exit("the batch was archived without dying")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
