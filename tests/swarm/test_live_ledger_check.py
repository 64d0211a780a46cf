"""`lcn ledger check` run again and again while the demo runs never reports a mismatch that is
not there: the whole network (orchestrator, agents really running jobs, creators buying credit,
payouts) posts to the ledger while checks, in this process and as `lcn` processes, read it."""

from __future__ import annotations

import asyncio
import os
import sys

from console.devkit.demo import DemoConfig, run_demo
from core import ledger
from core.config import Settings
from core.store import Store


async def cli_check(store: Store, *args: str) -> tuple[int, str]:
    """`lcn ledger check` as its own process, with this test's Redis, pool and data dir (so the
    same checkpoint key)."""
    env = {
        **os.environ,
        "LCN_REDIS_URL": store.url,
        "LCN_POOL": store.pool,
        "LCN_DATA_DIR": str(store.data_dir),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from console.cli import main; main()",
        "ledger",
        "check",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_checks_during_the_demo_never_fail(store: Store) -> None:
    settings = Settings(redis_url=store.url, pool=store.pool, data_dir=store.data_dir)
    demo = asyncio.create_task(run_demo(store, settings, DemoConfig(duration_s=10, nodes=10)))
    await asyncio.sleep(1.5)  # the demo resets the pool first
    in_process: list[ledger.LedgerCheck] = []
    cli: list[tuple[int, str]] = []

    async def check_in_process() -> None:
        while not demo.done():
            full = len(in_process) % 4 == 3
            in_process.append(await ledger.check(store, chunk=50, full=full))
            await asyncio.sleep(0.05)

    async def check_with_lcn() -> None:
        while not demo.done():
            cli.append(await cli_check(store))

    await asyncio.gather(check_in_process(), check_with_lcn())
    summary = await demo
    assert summary["jobsCompleted"] > 0 and summary["ledgerBalanced"]
    failed = [r.problems for r in in_process if not r.ok]
    assert not failed, failed
    assert [out for code, out in cli if code != 0] == []
    assert len(in_process) >= 8 and len(cli) >= 1  # an lcn process takes seconds to start
    # Most checks began at a checkpoint and replayed only what was new.
    assert sum(1 for r in in_process if r.from_checkpoint) >= len(in_process) // 2
    assert any(0 < r.replayed < r.postings for r in in_process)
    final = await ledger.check(store, full=True)
    assert final.ok and final.postings >= in_process[-1].postings
