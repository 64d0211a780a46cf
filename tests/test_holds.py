"""Credit holds under attack: the check and the hold are one script at the placed node's own
rate, so a gouging node, a burst of racing submissions through the real gateway or the
orchestrator's placement of waiting jobs never take a creator's available credit below zero;
a job's price ceiling keeps it off dearer nodes; with payments off, LCN_CREDIT_LIMIT bounds the
debt of an unknown address."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from core import apikeys, jobs, ledger, registry, submission
from core.config import Settings
from core.errors import Conflict, InvalidInput
from core.gateway import GatewaySettings, create_app
from core.models.job import SubmitJob
from core.payments.credit import CreditPolicy
from core.store import Store
from core.swarm.orchestrator import Orchestrator
from tests.gateway.live import serving
from tests.helpers import register_node

CREATOR = "0x" + "c1" * 20
PAYMENTS_ON = CreditPolicy(payments_on=True)
DOLLAR = 1_000_000
BIG = {"cpu": 64, "memory": 256, "gpu": False, "storage": 500, "runtimes": ["javascript"]}
GOUGING = {"cpuPerSecond": 100}


def body(timeout: int = 30, memory: int = 2, **caps: Any) -> SubmitJob:
    return SubmitJob.model_validate(
        {
            "creatorPKP": CREATOR,
            "task": {
                "type": "code-execution",
                "code": "console.log(1)",
                "requirements": {"cpu": 1, "memory": memory, "timeout": timeout, **caps},
            },
        }
    )


async def fund(store: Store, micro: int, idem: str = "test-credit") -> None:
    assert await ledger.post(
        store, "world", ledger.creator_account(CREATOR), micro, idem, "purchase"
    )


async def balance(store: Store) -> int:
    return await ledger.balance(store, ledger.creator_account(CREATOR))


async def test_a_gouging_node_cannot_take_more_than_the_creator_has(store: Store) -> None:
    gouger = await register_node(store, capabilities=BIG, pricing=GOUGING)
    await fund(store, DOLLAR)
    # $100/CPU-s for 30 s is a $3,003 hold: refused in one sentence, nothing written.
    with pytest.raises(InvalidInput, match=r"has \$1\.00 of credit but the cheapest node with "):
        await jobs.submit(store, body(), max_attempts=3, credit=PAYMENTS_ON)
    assert await balance(store) == DOLLAR
    assert await ledger.balance(store, "escrow") == 0
    assert await store.redis.zcard(store.keys.jobs_all) == 0
    # A node at list price beside it: a job its credit covers goes there, not to the gouger.
    cheap = await register_node(store, capabilities=BIG)
    placed = await jobs.submit(store, body(timeout=5), max_attempts=3, credit=PAYMENTS_ON)
    assert placed.assigned_node_id == cheap.node_id != gouger.node_id
    assert placed.estimated_cost_micro_usd == 101_000 * 5
    assert await balance(store) == DOLLAR - 505_000 >= 0


async def test_thirty_racing_submissions_through_the_gateway_never_overdraw(
    settings: Settings, store: Store
) -> None:
    await register_node(store, capabilities=BIG)
    await register_node(store, capabilities=BIG, pricing=GOUGING)
    await fund(store, DOLLAR)
    _, secret = await apikeys.create(store, "holds")
    on = settings.model_copy(update={"stripe_secret_key": "sk_test_holds"})
    limits = GatewaySettings(rate_limit=100_000, node_rate_limit=100_000)
    job = body(timeout=2, memory=1).model_dump(mode="json", by_alias=True, exclude={"parent"})
    with serving(create_app(on, limits)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            replies = await asyncio.gather(
                *(
                    client.post(
                        "/lit-compute/jobs/submit",
                        json=job,
                        headers={"Authorization": f"Bearer {secret}"},
                    )
                    for _ in range(30)
                )
            )
    accepted = [r.json() for r in replies if r.status_code == 200]
    refused = [r for r in replies if r.status_code != 200]
    # 1 CPU + 1 GB at list price for 2 s holds $0.102: $1 of credit covers nine of them.
    assert len(accepted) == 9 and len(refused) == 21
    assert all(r.status_code == 400 and "buy credit first" in r.text for r in refused)
    assert all(a["estimatedCostMicroUsd"] == 102_000 for a in accepted)
    assert await balance(store) == DOLLAR - 9 * 102_000 >= 0
    assert await ledger.balance(store, "escrow") == 9 * 102_000


async def test_orchestrator_placement_of_waiting_jobs_checks_credit(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_holds")
    node = await register_node(store, capabilities=BIG)
    await registry.change_status(store, node.node_id, "drain")
    await fund(store, DOLLAR)
    # While no node takes work, each job is accepted against its list-price estimate ($0.303).
    waiting = [await submission.submit(store, body(timeout=3), max_attempts=3) for _ in range(5)]
    assert {w.status for w in waiting} == {"pending"}
    assert await balance(store) == DOLLAR
    await registry.change_status(store, node.node_id, "undrain")
    report = await Orchestrator(store, credit=PAYMENTS_ON).tick()
    assert report.placed == 3
    states = [await jobs.get_job(store, w.job_id) for w in waiting]
    assert sorted(s.status for s in states) == ["assigned"] * 3 + ["failed"] * 2
    failed = [s for s in states if s.status == "failed"]
    assert all(
        "has $0.09 of credit but the cheapest node with room would hold $0.30" in (f.error or "")
        for f in failed
    )
    assert await balance(store) == DOLLAR - 3 * 303_000 >= 0


async def test_failing_unaffordable_waiting_jobs_counts_against_the_placement_budget(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_holds")
    node = await register_node(store, capabilities=BIG)
    await registry.change_status(store, node.node_id, "drain")
    await fund(store, 400_000)
    waiting = [await submission.submit(store, body(timeout=3), max_attempts=3) for _ in range(6)]
    await registry.change_status(store, node.node_id, "undrain")
    # One call places one ($0.303) and fails one: two of its budget of two, not all six.
    assert await jobs.place_pending(store, limit=2, credit=PAYMENTS_ON) == 1
    states = [(await jobs.get_job(store, w.job_id)).status for w in waiting]
    assert sorted(states) == ["assigned", "failed"] + ["pending"] * 4


async def test_a_price_ceiling_keeps_a_job_off_dearer_nodes(store: Store) -> None:
    dear = await register_node(store, capabilities=BIG, pricing={"cpuPerSecond": 0.01})
    trusted = CreditPolicy(payments_on=False, debt_limit=None)
    # 1 CPU + 2 GB for 30 s at $0.01/CPU-s is a $3.30 hold (at list price $3.03): above $3.10.
    capped = await jobs.submit(store, body(maxCost="3.10"), max_attempts=3, credit=trusted)
    assert capped.status == "pending"
    assert capped.pending_reason == (
        "No node with room is within its price ceiling (maxCost $3.10 and its per-resource caps)."
    )
    per_cpu = await jobs.submit(store, body(maxCpuPerSecond=0.002), max_attempts=3, credit=trusted)
    assert per_cpu.status == "pending"
    # A ceiling the dear node is within lets the job go there.
    dear_ok = await jobs.submit(store, body(maxCost="3.30"), max_attempts=3, credit=trusted)
    assert dear_ok.assigned_node_id == dear.node_id
    with pytest.raises(Conflict, match="above the job's price ceiling"):
        await jobs.reassign(store, capped.job_id, dear.node_id, credit=trusted)
    # A node at list price joins: both capped jobs go there, never to the dear one.
    cheap = await register_node(store, capabilities=BIG)
    for job_id in (capped.job_id, per_cpu.job_id):
        placed = await jobs.get_job(store, job_id)
        assert placed.status == "assigned" and placed.assigned_node_id == cheap.node_id
        assert placed.estimated_cost_micro_usd == 101_000 * 30
    assert (await jobs.get_job(store, capped.job_id)).task.requirements.max_cost == Decimal("3.1")


async def test_a_job_no_node_is_cheap_enough_for_does_not_hold_up_the_queue(
    store: Store,
) -> None:
    dear = await register_node(store, capabilities=BIG, pricing={"cpuPerSecond": 0.01})
    await registry.change_status(store, dear.node_id, "drain")
    trusted = CreditPolicy(payments_on=False, debt_limit=None)
    capped = await jobs.submit(store, body(maxCost="0.50"), max_attempts=3, credit=trusted)
    behind = await jobs.submit(store, body(), max_attempts=3, credit=trusted)
    assert (capped.status, behind.status) == ("pending", "pending")
    await registry.change_status(store, dear.node_id, "undrain")
    assert await jobs.place_pending(store, credit=trusted) == 1
    assert (await jobs.get_job(store, behind.job_id)).assigned_node_id == dear.node_id
    waiting = await jobs.get_job(store, capped.job_id)
    assert waiting.status == "pending" and "price ceiling" in (waiting.pending_reason or "")


async def test_with_payments_off_the_credit_limit_bounds_debt(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_CREDIT_LIMIT", "1")
    await register_node(store, capabilities=BIG)
    held = [
        await submission.submit(store, body(timeout=3), max_attempts=3, payments_on=False)
        for _ in range(3)
    ]
    assert all(h.status == "assigned" for h in held)
    assert await balance(store) == -3 * 303_000
    with pytest.raises(InvalidInput, match=r"would pass the debt limit of \$1\.00"):
        await submission.submit(store, body(timeout=3), max_attempts=3, payments_on=False)
    assert await balance(store) >= -DOLLAR
    # Cancelling a job gives its hold back; a retry is held again only within the limit.
    await jobs.cancel(store, held[0].job_id)
    assert await balance(store) == -2 * 303_000
    assert await jobs.retry(store, held[0].job_id) == "assigned"
    await jobs.cancel(store, held[1].job_id)
    extra = await submission.submit(store, body(timeout=3), max_attempts=3, payments_on=False)
    assert extra.status == "assigned"
    with pytest.raises(InvalidInput, match="debt limit"):
        await jobs.retry(store, held[1].job_id)
    assert await balance(store) == -3 * 303_000


def test_the_credit_limit_setting_is_checked() -> None:
    assert Settings(LCN_CREDIT_LIMIT="2.5").credit_limit == 2_500_000
    assert Settings(LCN_CREDIT_LIMIT="unlimited").credit_limit is None
    with pytest.raises(ValueError, match="LCN_CREDIT_LIMIT must be a non-negative amount"):
        Settings(LCN_CREDIT_LIMIT="-1")
