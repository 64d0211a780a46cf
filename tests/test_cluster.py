"""The same core against a 3-master Redis Cluster: every pool's keys share one slot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core import ledger, registry, status
from core.config import Settings
from core.store import Store, connect
from tests.helpers import register_node


@pytest.fixture
async def cluster_store(cluster_url: str, pool: str, tmp_path: Path) -> AsyncIterator[Store]:
    s = await connect(
        Settings(redis_url=cluster_url, pool=pool, redis_cluster=True, data_dir=tmp_path)
    )
    yield s
    await s.close()


async def test_registration_ledger_and_status_on_a_cluster(cluster_store: Store) -> None:
    node = await register_node(cluster_store)
    assert (await registry.get_node(cluster_store, node.node_id)).status == "active"
    assert await ledger.post(cluster_store, "world", "platform", 7, "c1", "credit")
    books = await ledger.check(cluster_store)
    assert books.balanced and books.journal_matches_balances and books.unproven_count == 1
    health = await status.health(cluster_store)
    assert health.status == "ok" and health.nodes == 1


async def test_pools_land_on_different_shards(cluster_url: str, tmp_path: Path) -> None:
    slots = set()
    for pool in ("alpha", "bravo", "charlie", "delta"):
        s = await connect(
            Settings(redis_url=cluster_url, pool=pool, redis_cluster=True, data_dir=tmp_path)
        )
        await register_node(s)
        slot = s.redis.keyslot(s.keys.nodes_all)
        owner = s.redis.get_node_from_key(s.keys.nodes_all)
        slots.add((slot, owner.port))
        assert (await status.health(s)).nodes == 1
        await s.close()
    assert len({port for _, port in slots}) >= 2


async def _lifecycle(store: Store) -> None:
    from core import jobs
    from tests.jobfactory import job_body

    node = await register_node(store)
    job_id = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30)
    assert claim and claim.job_id == job_id
    await jobs.complete(store, job_id, claim.token, duration_ms=3, output="ok")
    other = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    second = await register_node(store)
    assert await jobs.reassign(store, other) == second.node_id
    assert await jobs.cancel(store, other) == "cancelled"
    assert (await jobs.get_job(store, job_id)).status == "completed"
    assert (await ledger.check(store)).ok


async def test_whole_lifecycle_in_two_pools_on_different_shards(
    cluster_url: str, tmp_path: Path
) -> None:
    stores: list[Store] = []
    owners: dict[int, str] = {}
    # Pick two pools whose slots belong to different masters.
    for pool in ("p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"):
        s = await connect(
            Settings(redis_url=cluster_url, pool=pool, redis_cluster=True, data_dir=tmp_path)
        )
        port = s.redis.get_node_from_key(s.keys.nodes_all).port
        if port in owners:
            await s.close()
            continue
        owners[port] = pool
        stores.append(s)
        if len(stores) == 2:
            break
    assert len(stores) == 2
    try:
        for s in stores:
            await _lifecycle(s)
    finally:
        for s in stores:
            await s.close()
