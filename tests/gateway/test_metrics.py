"""GET /metrics: Prometheus text derived from Redis, the same from every gateway."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from core import jobs
from core.config import Settings
from core.gateway import GatewaySettings, create_app
from core.gateway.metrics import histogram_buckets
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import job_body

METRICS_TOKEN = "metrics-token-for-tests"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def limits() -> GatewaySettings:
    return GatewaySettings(rate_limit=100_000, node_rate_limit=100_000, metrics_token=METRICS_TOKEN)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


async def scrape(app: FastAPI) -> str:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        reply = await client.get("/metrics", headers=METRICS_AUTH)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    return reply.text


async def test_metrics_follow_the_pool(
    app: FastAPI, store: Store, settings: Settings, limits: GatewaySettings
) -> None:
    node = await register_node(store)
    done = await jobs.submit(store, job_body(), max_attempts=3)
    await jobs.submit(store, job_body(), max_attempts=3)
    claim = await jobs.claim(store, node.node_id, "a1", ["code-execution"], 30)
    assert claim is not None and claim.job_id == done.job_id
    reply = await jobs.complete(store, claim.job_id, claim.token, duration_ms=1500, output=1)

    text = await scrape(app)
    got = samples(text)
    pool = (("pool", store.pool),)
    assert got[("lcn_nodes", (("pool", store.pool), ("status", "active")))] == 1
    assert got[("lcn_jobs", (("pool", store.pool), ("status", "completed")))] == 1
    assert got[("lcn_jobs", (("pool", store.pool), ("status", "assigned")))] == 1
    assert got[("lcn_job_completions_total", pool)] == 1
    assert got[("lcn_node_earnings_usd_total", pool)] == reply["node_share"] / 1e6
    assert got[("lcn_gross_usd_total", pool)] == reply["actual_cost"] / 1e6
    for name in ("lcn_placements_total", "lcn_lease_expiries_total", "lcn_job_failures_total"):
        assert (name, pool) in got
    assert ("lcn_job_run_seconds_count", pool) in got
    assert ("lcn_job_queue_wait_seconds_bucket", (("le", "+Inf"), *pool)) in got
    assert got[("lcn_payouts", (("pool", store.pool), ("status", "paid")))] == 0
    assert ("lcn_payouts_paid_usd_total", pool) in got and ("lcn_refunds_usd_total", pool) in got

    # A second gateway on the same pool reports the same figures.
    other = create_app(settings, limits, store=store)
    assert samples(await scrape(other)) == got


def test_histogram_buckets_are_cumulative_in_seconds() -> None:
    buckets, total = histogram_buckets({"100": 2, "1000": 3, "inf": 1, "sum": 4500, "count": 6})
    as_dict = dict(buckets)
    assert as_dict["0.1"] == 2 and as_dict["1.0"] == 5 and as_dict["+Inf"] == 6
    assert buckets[-1][0] == "+Inf" and total == 4.5
    counts = [count for _, count in buckets]
    assert counts == sorted(counts)
