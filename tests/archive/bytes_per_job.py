"""How many archive bytes a finished no-op job costs on SQLite (issue 13's target: ≤ 1.5 KB).

    python -m tests.archive.bytes_per_job [JOBS]

Archives JOBS no-op jobs in batches as the archiver would, then their journal postings, and
prints bytes per job for the jobs table alone and with the postings, as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from core.archive import Archive
from core.config import Settings
from tests.archive.samples import job_postings, noop_job

BATCH = 500
START_MS = 1_796_051_502_525


async def measure(jobs: int, data_dir: Path) -> dict[str, float]:
    async with await Archive.open(Settings(data_dir=data_dir)) as archive:
        empty = (await archive.status()).size_bytes
        for start in range(0, jobs, BATCH):
            numbers = range(start, min(start + BATCH, jobs))
            await archive.put_jobs(noop_job(n, START_MS + 3 * n) for n in numbers)
        with_jobs = (await archive.status()).size_bytes
        for start in range(0, jobs, BATCH):
            numbers = range(start, min(start + BATCH, jobs))
            await archive.put_postings(
                p for n in numbers for p in job_postings(n, START_MS + 3 * n)
            )
        with_postings = (await archive.status()).size_bytes
    return {
        "jobs": jobs,
        "jobBytesPerJob": round((with_jobs - empty) / jobs, 1),
        "postingBytesPerJob": round((with_postings - with_jobs) / jobs, 1),
        "totalBytesPerJob": round((with_postings - empty) / jobs, 1),
    }


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(measure(jobs, Path(tmp)))))


if __name__ == "__main__":
    main()
