"""SIGKILL random node processes while a batch of jobs runs, restart them: every job ends
completed exactly once (or failed with a reason after its retries) and the books balance."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from core import jobs, ledger
from core.identity import new_key, write_key
from core.store import Store
from core.swarm.executors import sweep_stale_scratch
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from tests.jobfactory import job_body

WORK = (
    "import json, os, time\n"
    "data = json.load(open(os.environ['LCN_INPUT']))\n"
    "time.sleep(data['sleep'])\n"
    "print(json.dumps({'n': data['n'], 'square': data['n'] ** 2}))"
)


def start_node(key: Path, env: dict[str, str], index: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from console.cli import main; main()",
            "node",
            "run",
            "--key",
            str(key),
            "--agents",
            "2",
            "--specialize",
            "code-execution",
            "--cpu",
            "8",
            "--memory",
            "16",
            "--region",
            f"r{index}",
            "--grace",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_killing_agents_loses_no_job_and_pays_each_once(
    store: Store, redis_url: str, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"  # where the nodes' jobs get their scratch directories
    scratch.mkdir()
    env = {
        **os.environ,
        "LCN_REDIS_URL": redis_url,
        "LCN_POOL": store.pool,
        "LCN_LEASE": "1",
        "LCN_NODE_GRACE": "2",
        "TMPDIR": str(scratch),
    }
    keys = []
    for i in range(3):
        keys.append(tmp_path / f"node{i}.key")
        write_key(new_key(), keys[-1])
    procs = [start_node(k, env, i) for i, k in enumerate(keys)]
    orch = Orchestrator(store, OrchestratorConfig(tick_s=0.05, sweep_every_s=0.2, node_grace_s=2))
    orch_task = asyncio.create_task(orch.run())
    rng = random.Random(3)
    ids = []
    for n in range(30):
        body = job_body(
            language="python", code=WORK, input={"n": n, "sleep": rng.choice([0.1, 0.3, 0.6])}
        )
        ids.append((await jobs.submit(store, body, max_attempts=8)).job_id)
    kills = 0
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while loop.time() < deadline:
            found = await jobs.get_jobs(store, ids)
            if all(j.status in ("completed", "failed") for j in found):
                break
            await asyncio.sleep(0.6)
            if kills < 8:
                victim = rng.randrange(len(procs))
                procs[victim].send_signal(signal.SIGKILL)
                procs[victim].wait()
                kills += 1
                procs[victim] = start_node(keys[victim], env, victim)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
        orch.stop()
        await orch_task

    found = await jobs.get_jobs(store, ids)
    states = Counter(j.status for j in found)
    assert kills >= 4
    assert states["completed"] + states["failed"] == len(ids), states
    for job in found:
        if job.status == "completed":
            assert job.result == {"n": job.task.input["n"], "square": job.task.input["n"] ** 2}
        else:
            assert job.error, job
    # Exactly one earnings posting per completed job, none for the others.
    earned = Counter()
    for _, fields in await store.redis.xrange(store.keys.journal):
        if any(kind == "earn" for *_, kind in ledger.journal_legs(fields)):
            earned[fields[b"ref"].decode()] += 1
    assert {j.job_id: 1 for j in found if j.status == "completed"} == dict(earned)
    check = await ledger.check(store)
    assert check.ok, check.problems
    assert await ledger.balance(store, "escrow") == 0
    # Killed nodes' scratch is swept when a node next starts on the machine (here: by hand,
    # with the same TMPDIR the nodes used); the last nodes stopped cleanly and left none.
    os.environ["TMPDIR"], saved = str(scratch), os.environ.get("TMPDIR", "")
    tempfile.tempdir = None
    try:
        sweep_stale_scratch()
    finally:
        os.environ["TMPDIR"] = saved
        tempfile.tempdir = None
    assert not list(scratch.glob("*/lcn-job-*"))
