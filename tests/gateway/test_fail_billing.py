"""A failure reported over HTTP bills exactly as one reported over Redis: the job's own fault
for the time it ran (`durationMs`, capped by the lease), a node's fault not at all."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import FastAPI

from core import jobs, ledger
from core.money import split
from core.store import Store
from tests.gateway.test_http_link import http_link, redis_link
from tests.jobfactory import CREATOR, job_body

RATE = 1000 + 2 * 50_000  # µUSD/s of the test job (1 cpu, 2 GB) at the test node's prices


@pytest.mark.parametrize("make_link", [http_link, redis_link])
async def test_own_fault_is_billed_and_node_fault_is_not(
    make_link: Any, app: FastAPI, store: Store
) -> None:
    link = await make_link(app, store)
    own = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    claim = await link.claim("a", ["code-execution"], 30)
    assert claim is not None and claim.job_id == own
    await asyncio.sleep(1.2)
    status = await link.fail(
        own, claim.token, error="Exited with code 1.", logs=[], retryable=False, duration_ms=1100
    )
    assert status == "failed"
    cost = RATE * 1100 // 1000
    job = await jobs.get_job(store, own)
    assert job.actual_cost_micro_usd == cost and job.paid
    assert await ledger.balance(store, f"node:{link.node_id}") == split(cost)[0]
    assert await ledger.balance(store, f"creator:{CREATOR}") == -cost

    faulty = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    claim = await link.claim("a", ["code-execution"], 30)
    assert claim is not None and claim.job_id == faulty
    status = await link.fail(
        faulty, claim.token, error="The agent failed.", logs=[], retryable=True, duration_ms=900
    )
    assert status == "pending"  # its only node is excluded from the retry
    assert (await jobs.get_job(store, faulty)).actual_cost_micro_usd is None
    assert await ledger.balance(store, f"node:{link.node_id}") == split(cost)[0]
    history = await jobs.job_history(store, faulty)
    assert history[-1].endswith("Not billed: the fault was its node's, not the job's.")
    assert (await ledger.check(store)).ok
    await link.close()
