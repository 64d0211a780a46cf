"""How many Redis bytes a job with a 64 KB input costs, its input inline (LCN_INLINE_MAX above
it, as every job was before large values went to the blob table) and kept by CID (the default),
measured in one run on one embedded server.

    python -m tests.blob_bytes [JOBS]

For each way: submits JOBS jobs with distinct 64 KB inputs, then claims and completes them,
and prints as JSON Redis `used_memory` growth per job after submission and after completion,
and the job hash's own `MEMORY USAGE`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from core import jobs
from core.config import Settings
from core.embedded import stop_embedded
from core.store import Store, connect
from tests.helpers import register_node
from tests.jobfactory import job_body

INPUT_BYTES = 64 * 1024


def big_input(n: int) -> dict[str, Any]:
    row = f"{n:08d}" + "x" * 56  # 64 characters, 66 bytes as JSON with quotes and comma
    value = {"rows": [row] * (INPUT_BYTES // 66)}
    return value


async def used(store: Store) -> int:
    return int((await store.redis.info("memory"))["used_memory"])


async def one_way(store: Store, count: int) -> dict[str, float]:
    node = await register_node(store)
    start = await used(store)
    ids = [
        (await jobs.submit(store, job_body(input=big_input(n)), max_attempts=3)).job_id
        for n in range(count)
    ]
    submitted = await used(store)
    hash_bytes = await store.redis.memory_usage(store.keys.job(ids[0]), samples=0)
    done = 0
    while done < count:  # the node holds 8 at a time; the rest wait to be placed
        await jobs.place_pending(store)
        claims = await jobs.claim_many(
            store, node.node_id, "a", ["code-execution"], lease_s=30, max_jobs=100
        )
        assert claims, "no job could be claimed"
        for claim in claims:
            assert len(json.dumps(claim.task.input)) > INPUT_BYTES - 100  # given back whole
            await jobs.complete(store, claim.job_id, claim.token, duration_ms=1, output=1)
        done += len(claims)
    completed = await used(store)
    return {
        "jobs": count,
        "redisBytesPerJobSubmitted": round((submitted - start) / count),
        "redisBytesPerJobCompleted": round((completed - start) / count),
        "jobHashBytes": int(hash_bytes or 0),
    }


async def measure(count: int, data_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"inputBytes": len(json.dumps(big_input(0), separators=(",", ":")))}
    for name, inline_max in (("inline", 16 * 1024 * 1024), ("byCid", 4096)):
        settings = Settings(
            data_dir=data_dir, pool=name.lower(), inline_max=inline_max, redis_url=None
        ).model_copy(update={"archive_url": f"sqlite:///{data_dir / (name + '.sqlite3')}"})
        store = await connect(settings)
        try:
            report[name] = await one_way(store, count)
        finally:
            await store.close()
    return report


def main() -> None:
    os.environ["LCN_CREDIT_LIMIT"] = "unlimited"  # one creator runs them all on account
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        try:
            print(json.dumps(asyncio.run(measure(count, Path(tmp))), indent=2))
        finally:
            stop_embedded(Path(tmp))


if __name__ == "__main__":
    main()
