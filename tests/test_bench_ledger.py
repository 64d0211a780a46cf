"""`lcn bench ledger` runs end to end at tiny sizes and cleans up (its figures are printed, never
asserted); what a check reads is counted at two journal sizes instead: the same."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis

from core import ledger
from core.devkit.bench.ledger import Seeder
from core.store import Store


def test_bench_ledger_prints_both_sizes_and_the_ratio(  # type: ignore[no-untyped-def]
    lcn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_DATA_DIR", str(tmp_path))
    args = ("bench", "ledger", "--postings", "200,2000", "--new", "100", "--rounds", "2")
    report = json.loads(lcn(*args, "--json").stdout)
    assert [row["postings"] for row in report["sizes"]] == [200, 2000]
    assert all(row["newPostingsPerCheck"] == 100 for row in report["sizes"])
    assert report["checkRatio"] > 0 and report["fullCheckRatio"] > 0
    assert "check at 2,000 / at 200:" in lcn(*args).stdout
    assert not list(redis.Redis.from_url(redis_url).scan_iter(match="lcn:{bench-*"))


async def what_a_check_reads(store: Store) -> dict[str, int]:
    """Journal entries, pipelines and script calls of one ordinary check."""
    counts = {"entries": 0, "pipelines": 0, "scripts": 0}
    xrange, pipeline, script = store.redis.xrange, store.redis.pipeline, store.script

    async def counting_xrange(*args: Any, **kwargs: Any) -> Any:
        batch = await xrange(*args, **kwargs)
        counts["entries"] += len(batch)
        return batch

    def counting_pipeline(*args: Any, **kwargs: Any) -> Any:
        counts["pipelines"] += 1
        return pipeline(*args, **kwargs)

    async def counting_script(*args: Any, **kwargs: Any) -> Any:
        counts["scripts"] += 1
        return await script(*args, **kwargs)

    store.redis.xrange = counting_xrange  # type: ignore[method-assign]
    store.redis.pipeline = counting_pipeline  # type: ignore[method-assign]
    store.script = counting_script  # type: ignore[method-assign]
    try:
        result = await ledger.check(store, chunk=100)
    finally:
        store.redis.xrange, store.redis.pipeline = xrange, pipeline  # type: ignore[method-assign]
        store.script = script  # type: ignore[method-assign]
    assert result.ok and result.replayed == 200, result.problems
    return counts


@pytest.mark.parametrize("jobs", [100, 2000])
async def test_a_check_reads_the_same_at_any_journal_size(store: Store, jobs: int) -> None:
    seeder = Seeder(store)
    await seeder.fleet()
    await seeder.jobs(jobs)
    assert (await ledger.check(store, full=True)).ok
    await seeder.jobs(100)
    # 200 new postings in chunks of 100, each chunk's records in one pipeline, one pass over
    # the nodes; the snapshot and the checkpoint: the same at 200 postings before or 4,000.
    assert await what_a_check_reads(store) == {"entries": 200, "pipelines": 3, "scripts": 2}
