"""An archiver killed in the middle of a batch leaves nothing half-written, and running the
batch again afterwards (twice, even) gives exactly the archive one clean run would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.archive import Archive
from core.archive.writes import CHUNK_ROWS
from core.config import Settings
from tests.archive.crash_mid_batch import KILLED, T0
from tests.archive.samples import noop_job

REPO = Path(__file__).resolve().parents[2]


async def test_a_kill_mid_batch_leaves_nothing_and_a_rerun_completes(
    archive_settings: Settings,
) -> None:
    jobs = CHUNK_ROWS * 2 + 7  # three INSERT statements in the batch's one transaction
    env = {**os.environ, "LCN_DATA_DIR": str(archive_settings.data_dir)}
    env["LCN_ARCHIVE_URL"] = archive_settings.archive_url or ""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, "-m", "tests.archive.crash_mid_batch", str(jobs)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == KILLED, child.stderr

    async with await Archive.open(archive_settings) as archive:
        assert (await archive.status()).tables["jobs"].rows == 0
        batch = [noop_job(n, T0 + n) for n in range(jobs)]
        await archive.put_jobs(batch)
        await archive.put_jobs(batch)
        assert (await archive.status()).tables["jobs"].rows == jobs
        assert await archive.list_jobs(limit=jobs) == batch[::-1]
