"""`lcn demo --headless`: the whole network for a few seconds, summarised from Redis."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from console.cli import app
from console.devkit.demo import DemoConfig, run_demo
from core.config import Settings
from core.store import Store
from core.swarm import roster


def test_headless_demo_runs_real_jobs_and_balances(
    redis_url: str, pool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_REDIS_URL", redis_url)
    monkeypatch.setenv("LCN_POOL", pool)
    result = CliRunner().invoke(
        app, ["demo", "--headless", "--duration", "6", "--nodes", "12", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pool"] == pool
    assert summary["nodesRegistered"] == 12 and summary["targetsMet"]["nodes10"]
    assert summary["agents"] >= 5
    assert summary["jobsCompleted"] > 0 and summary["nodeOperatorsEarnedUsd"] > 0
    assert summary["ledgerBalanced"] is True


async def test_demo_agents_have_different_specialisations(store: Store) -> None:
    settings = Settings(redis_url=store.url, pool=store.pool)
    summary = await run_demo(store, settings, DemoConfig(duration_s=2, nodes=10))
    kinds = {tuple(a.specialisations) for a in await roster.list_agents(store)}
    assert len(kinds) >= 4 and summary["agents"] == 20


async def test_demo_creators_buy_more_credit_when_they_run_short(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import console.devkit.demo as demo

    monkeypatch.setattr(demo, "CREDIT_PER_CREATOR", 2_000_000)  # $2: gone in a few jobs
    settings = Settings(redis_url=store.url, pool=store.pool)
    summary = await run_demo(store, settings, DemoConfig(duration_s=3, nodes=10))
    assert summary["creditsBoughtUsd"] > 4 * 2  # more than the first purchase of each creator
    assert summary["jobsCompleted"] > 0 and summary["ledgerBalanced"]


async def test_demo_exit_hands_jobs_back_and_takes_its_nodes_offline(store: Store) -> None:
    settings = Settings(redis_url=store.url, pool=store.pool)
    await run_demo(store, settings, DemoConfig(duration_s=2, nodes=10))
    for status in ("active", "busy", "draining"):
        assert await store.redis.zcard(store.keys.nodes_with_status(status)) == 0, status
    assert await store.redis.zcard(store.keys.nodes_with_status("offline")) == 10
    assert await store.redis.zcard(store.keys.jobs_with_status("assigned")) == 0
    # Only a sharded job's parent may still be running: it waits for its shards, on no node.
    for job_id in await store.redis.zrange(store.keys.jobs_with_status("running"), 0, -1):
        assert await store.redis.hget(store.keys.job(job_id.decode()), "node") in (b"", None)
