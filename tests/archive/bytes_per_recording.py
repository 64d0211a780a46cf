"""How many archive bytes one recording costs (core/swarm/recorder.py), at the demo's size and
at a large pool.

    python -m tests.archive.bytes_per_recording [NODES JOBS] ...

Seeds a pool on an embedded Redis for each size, lets the recorder sweep the whole map, stores
RECORDINGS recordings 5 s of simulated time apart with CHANGES new jobs between each (so the
jobs table, the counts and the triage move as in a busy pool), and prints, as JSON per size: the
snapshot's JSON bytes, the keyframe's and a delta's zstd bytes, and the SQLite file's growth
per recording and per day at the default period.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from core import jobs
from core.archive import Archive, Recording
from core.config import Settings
from core.devkit import seed
from core.reads import recording
from core.store import connect
from core.swarm.recorder import RecorderDuty
from tests.jobfactory import job_body

RECORDINGS = 60  # a keyframe and its deltas
CHANGES = 5
SIZES = ((36, 400), (10_000, 20_000))


async def measure(nodes: int, job_count: int, data_dir: Path) -> dict[str, float]:
    settings = Settings(data_dir=data_dir, pool="measure")
    store = await connect(settings)
    try:
        await seed.seed(store, nodes=nodes, jobs=job_count, lean=job_count > 10_000)
        duty = RecorderDuty(settings)
        now = seed.FIXED_NOW_MS
        while duty.map.whole is None:  # a full sweep first, as a running recorder has
            await duty.snapshot(store, now)
        async with await Archive.open(settings) as archive:
            empty = (await archive.status()).size_bytes
            raw = keyframes = deltas = 0
            packer = recording.Packer()
            for n in range(RECORDINGS):
                at = now + n * 5_000
                await jobs.submit_many(store, [job_body() for _ in range(CHANGES)], max_attempts=3)
                snapshot = await duty.snapshot(store, at)
                packed = packer.pack(snapshot, at)
                raw += len(recording.encode(snapshot))
                if packed.keyframe is None:
                    keyframes = len(packed.data)
                else:
                    deltas += len(packed.data)
                stored = Recording(
                    pool=store.pool, at=at, keyframe=packed.keyframe, snapshot=packed.data
                )
                await archive.put_recordings([stored])
            grown = (await archive.status()).size_bytes - empty
    finally:
        await store.close()
    per_day = 86_400 / settings.record_every_s
    return {
        "nodes": nodes,
        "jobs": job_count,
        "jsonBytes": round(raw / RECORDINGS),
        "keyframeBytes": keyframes,
        "deltaBytes": round(deltas / (RECORDINGS - 1)),
        "fileBytesPerRecording": round(grown / RECORDINGS),
        "fileMBPerDay": round(grown / RECORDINGS * per_day / 1e6, 1),
    }


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    sizes = list(zip(args[0::2], args[1::2], strict=True)) if args else list(SIZES)
    for nodes, job_count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(asyncio.run(measure(nodes, job_count, Path(tmp)))), flush=True)


if __name__ == "__main__":
    main()
