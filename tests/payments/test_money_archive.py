"""Final money records move to the archive (SQLite and a real PostgreSQL) and every reader
still works: a late webhook on an archived purchase or payout restores it first and books
exactly once, a refund over what is left is refused after archiving, reconcile stays clean and
listings show archived records marked archived."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from core import jobs, ledger
from core.archive import Archive, schema
from core.config import Settings
from core.devkit.standin_api import StripeStandIn, sign
from core.errors import InvalidInput, RecordArchived
from core.payments import dispatch, payouts, reconcile, records, refunds, summary
from core.payments.client import Payments
from core.store import Store
from core.swarm.archiver import Retention, archive_due, covered_until
from tests.archive.conftest import archive_settings, postgres_server  # noqa: F401 (fixtures)
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body
from tests.payments.conftest import WEBHOOK_SECRET as SECRET
from tests.payments.conftest import Webhooks, onboarded, paid_credit
from tests.payments.fakes import RecordingHTTPClient

CREDIT = ledger.creator_account(CREATOR)
ALL = Retention(window_s=0, keep_jobs=10**6)
FAR = 2**50
OTHER = "0x" + "ef" * 20
REPO = Path(__file__).resolve().parents[2]
KILLED = 77  # tests/archive/money_child.py's exit status


@pytest.fixture
def settings(redis_url: str, pool: str, archive_settings: Settings) -> Settings:  # noqa: F811
    return Settings(
        redis_url=redis_url,
        pool=pool,
        data_dir=archive_settings.data_dir,
        archive_url=archive_settings.archive_url,
    )


async def cover(store: Store) -> None:
    """Post after everything so far and check the books, until a checkpoint covers it all."""
    start = int(time.time() * 1000)
    if not await store.redis.zcard(store.keys.nodes_all):
        await register_node(store)  # a placed job's hold is the posting that moves the journal
    for _ in range(500):
        await asyncio.sleep(0.002)
        body = job_body().model_copy(update={"creator_pkp": OTHER})  # not the buyer's credit
        await jobs.submit(store, body, max_attempts=3)
        assert (await ledger.check(store)).ok
        if await covered_until(store) > start:
            return
    raise AssertionError(f"no checkpoint covers {start}: {await covered_until(store)}")


async def archive_all(store: Store, settings: Settings) -> int:
    await cover(store)
    async with await Archive.open(settings) as archive:
        done = await archive_due(store, archive, ALL, now_ms=FAR)
    return done.money.archived


async def live(store: Store, kind: str, record_id: str) -> bool:
    return bool(await store.redis.exists(store.keys.record(kind, record_id)))


async def test_archived_purchase_takes_a_late_dashboard_refund_once_and_keeps_its_limit(
    store: Store, settings: Settings, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    part = await refunds.refund(store, payments, purchase.purchase_id, amount_micro=2_000_000)
    await hooks.flush()
    await dispatch.dispatch_due(store, payments)  # the Stripe fee is booked
    assert await archive_all(store, settings) == 2  # the purchase and its refund
    assert not await live(store, "purchase", purchase.purchase_id)
    assert not await live(store, "refund", part.refund_id)
    shown = await records.get_purchase(store, purchase.purchase_id)
    assert shown.archived and shown.refunded_micro_usd == 2_000_000
    assert (await records.get_refund(store, part.refund_id)).archived

    # Months later, a refund from the Dashboard: the purchase comes back and books it once.
    outside = stand_in.refund_outside(purchase.payment_intent, 300)
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 5_000_000
    event = next(
        e
        for e in stand_in.events
        if e["type"] == "refund.created" and e["data"]["object"]["id"] == outside["id"]
    )
    await archive_all(store, settings)  # archived again, with the refund on it
    assert not await live(store, "purchase", purchase.purchase_id)
    await hooks.deliver({**event, "id": "evt_again0000000"})  # redelivered after archiving
    assert await ledger.balance(store, CREDIT) == 5_000_000
    with pytest.raises(InvalidInput, match=r"\$5.00 left"):
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro=6_000_000)
    assert (await ledger.check(store)).ok


async def test_a_reversal_of_an_archived_payout_is_booked_once(
    store: Store, settings: Settings, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    stand_in.available_cents = 10**9
    await paid_credit(store, payments, stand_in, hooks, 50_000_000)
    node = await onboarded(store, payments, stand_in, hooks, jobs_run=2)
    [payout] = await payouts.run(store, payments, node.node_id)
    assert payout.status == "paid" and payout.transfer_id
    await hooks.flush()
    await dispatch.dispatch_due(store, payments)
    assert await archive_all(store, settings) >= 2
    assert not await live(store, "payout", payout.payout_id)
    listed = await records.list_payouts(store, node_id=node.node_id)
    assert [(p.payout_id, p.archived) for p in listed] == [(payout.payout_id, True)]
    counted = await summary.earnings_summary(store, payments_enabled=True)
    assert counted.payouts.paid == 1  # counted though archived
    stand_in.reverse_transfer(payout.transfer_id, 5)
    await hooks.flush()
    back = await records.get_payout(store, payout.payout_id)
    assert not back.archived  # restored to take the reversal
    assert (await ledger.balances(store))["reversed"] == 50_000
    for event in [e for e in stand_in.events if e["type"] == "transfer.reversed"]:
        await hooks.deliver({**event, "id": event["id"] + "x"})
    assert (await ledger.balances(store))["reversed"] == 50_000
    assert (await ledger.check(store)).ok


async def test_reconcile_is_clean_and_listings_mark_archived_records(
    store: Store,
    settings: Settings,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    lcn: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_000)
    await hooks.flush()
    await dispatch.dispatch_due(store, payments)
    before = await reconcile.reconcile(store, payments)
    assert before.ok, before.mismatches
    assert await archive_all(store, settings) == 2
    after = await reconcile.reconcile(store, payments)
    assert after.ok, after.mismatches
    assert (after.purchases, after.refunds) == (before.purchases, before.refunds)
    [shown] = await records.list_purchases(store)
    assert shown.archived and shown.purchase_id == purchase.purchase_id
    [paid] = await records.list_purchases(store, status="paid")
    assert paid.archived
    assert await records.list_purchases(store, status="open") == []
    assert [r.archived for r in await records.list_refunds(store)] == [True]
    monkeypatch.setenv("LCN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LCN_ARCHIVE_URL", settings.archive_url or "")
    shown_cli = (await asyncio.to_thread(lcn, "payments", "purchases")).output
    assert purchase.purchase_id in shown_cli and "paid (archived)" in shown_cli
    listed = await asyncio.to_thread(lcn, "payments", "purchases", "--json")
    [row] = json.loads(listed.output)
    assert row["archived"] is True and row["refundedMicroUsd"] == 1_000_000


def run_child(settings: Settings, mode: str) -> None:
    env = {**os.environ, "LCN_DATA_DIR": str(settings.data_dir), "LCN_POOL": settings.pool}
    env["LCN_REDIS_URL"] = settings.redis_url or ""
    env["LCN_ARCHIVE_URL"] = settings.archive_url or ""
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, "-m", "tests.archive.money_child", mode],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == KILLED, child.stderr


async def money_hashes(store: Store) -> dict[str, dict[bytes, bytes]]:
    found: dict[str, dict[bytes, bytes]] = {}
    for kind in ("payout", "purchase", "refund", "dispute"):
        for member in await store.redis.zrange(store.keys.records_index(kind + "s"), 0, -1):
            record_id = member.decode()
            found[f"{kind}:{record_id}"] = await store.redis.hgetall(
                store.keys.record(kind, record_id)
            )
    return found


async def test_an_archiver_killed_mid_batch_loses_nothing_and_a_rerun_completes(
    store: Store, settings: Settings, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    for n in range(3):
        purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000 + n * 10_000)
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_000)
    await hooks.flush()
    await dispatch.dispatch_due(store, payments)
    await cover(store)
    before = await money_hashes(store)
    assert len(before) == 6
    live_bytes = 0
    for name in before:
        kind, _, record_id = name.partition(":")
        live_bytes += await store.redis.memory_usage(store.keys.record(kind, record_id)) or 0
    balances = await ledger.balances(store)

    run_child(settings, "insert")  # killed inside the batch's transaction: nothing landed
    async with await Archive.open(settings) as archive:
        assert (await archive.status()).tables["money_records"].rows == 0
    assert await money_hashes(store) == before

    run_child(settings, "written")  # killed between the archive write and the Redis removal
    async with await Archive.open(settings) as archive:
        assert (await archive.status()).tables["money_records"].rows == 6
        assert await money_hashes(store) == before  # still all live
        for _ in range(2):  # the next run removes them; one more changes nothing
            await archive_due(store, archive, ALL, now_ms=FAR)
        assert (await archive.status()).tables["money_records"].rows == 6
        for name, raw in before.items():
            kind, _, record_id = name.partition(":")
            row = await archive.get_record(kind, record_id)  # type: ignore[arg-type]
            assert row is not None and row.record == {
                k.decode(): v.decode() for k, v in raw.items()
            }
    assert await money_hashes(store) == {}
    assert await store.redis.scard(store.keys.money_archived) == 6
    marker = await store.redis.memory_usage(store.keys.money_archived) or 0
    print(f"redis bytes per money record: {live_bytes / 6:.0f} live, {marker / 6:.0f} archived")
    assert await ledger.balances(store) == balances
    assert (await ledger.check(store)).ok


async def test_a_dispute_of_an_archived_purchase_and_redelivered_dispute_events_book_once(
    store: Store, settings: Settings, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    await dispatch.dispatch_due(store, payments)
    assert await archive_all(store, settings) == 1
    dispute = stand_in.dispute(purchase.payment_intent, 400)  # the purchase comes back for it
    await hooks.flush()
    assert await ledger.balance(store, "disputes") == 4_000_000
    stand_in.close_dispute(dispute["id"], won=False)
    await hooks.flush()
    assert await ledger.balance(store, "disputes") == 0
    assert await archive_all(store, settings) == 2  # the purchase again, and the lost dispute
    balances = await ledger.balances(store)
    assert not await live(store, "dispute", dispute["id"])
    for event in [e for e in stand_in.events if e["type"].startswith("charge.dispute.")]:
        await hooks.deliver({**event, "id": event["id"] + "again"})  # after both were archived
    assert await ledger.balances(store) == balances
    assert not await live(store, "dispute", dispute["id"])  # a duplicate needs no restore
    assert (await ledger.check(store)).ok


async def test_our_archived_refund_that_fails_later_is_reversed_once(
    store: Store, settings: Settings, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    ours = await refunds.refund(store, payments, purchase.purchase_id, amount_micro=4_000_000)
    assert ours.stripe_refund_id
    await hooks.flush()
    await dispatch.dispatch_due(store, payments)
    assert await archive_all(store, settings) == 2
    assert await ledger.balance(store, CREDIT) == 6_000_000
    stand_in.fail_refund(ours.stripe_refund_id)  # both records come back for the reversal
    await hooks.flush()
    assert await ledger.balance(store, CREDIT) == 10_000_000
    assert (await records.get_refund(store, ours.refund_id)).status == "failed"
    assert await archive_all(store, settings) == 2
    for event in [e for e in stand_in.events if e["type"].startswith("refund.")]:
        await hooks.deliver({**event, "id": event["id"] + "again"})
    assert await ledger.balance(store, CREDIT) == 10_000_000
    back = await records.get_purchase(store, purchase.purchase_id)
    assert back.refunded_micro_usd == 0 and back.status == "paid"
    assert (await ledger.check(store)).ok


async def test_a_purchase_with_a_refund_in_flight_stays_and_holds_nothing_back(
    store: Store,
    settings: Settings,
    payments: Payments,
    http: RecordingHTTPClient,
    stand_in: StripeStandIn,
    hooks: Webhooks,
) -> None:
    waiting = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    done = await paid_credit(store, payments, stand_in, hooks, 20_000_000)
    await dispatch.dispatch_due(store, payments)
    http.trap("/v1/refunds", "network-after")
    pending = await refunds.refund(store, payments, waiting.purchase_id, amount_micro=1_000_000)
    assert pending.status == "pending"  # Stripe refunded; we have not heard it yet
    await cover(store)
    one_at_a_time = Retention(window_s=0, keep_jobs=10**6, batch=1)
    async with await Archive.open(settings) as archive:
        run = await archive_due(store, archive, one_at_a_time, now_ms=FAR)
    assert run.money.archived == 1 and run.money.kept >= 1
    assert await live(store, "purchase", waiting.purchase_id)
    assert await live(store, "refund", pending.refund_id)
    assert not await live(store, "purchase", done.purchase_id)
    await hooks.flush()  # the refund settles on the live purchase
    assert (await records.get_refund(store, pending.refund_id)).status == "succeeded"
    assert await archive_all(store, settings) == 2
    assert (await records.get_purchase(store, waiting.purchase_id)).refunded_micro_usd == 1_000_000


async def test_an_unreadable_archived_record_refuses_with_503_and_books_nothing(
    store: Store,
    settings: Settings,
    payments: Payments,
    stand_in: StripeStandIn,
    hooks: Webhooks,
    gateway: httpx.AsyncClient,
) -> None:
    purchase = await paid_credit(store, payments, stand_in, hooks, 10_000_000)
    assert purchase.payment_intent
    await dispatch.dispatch_due(store, payments)
    assert await archive_all(store, settings) == 1
    async with await Archive.open(settings) as archive, archive.engine.begin() as conn:
        await conn.execute(delete(schema.money_records))  # the archive lost it
    balances = await ledger.balances(store)
    with pytest.raises(RecordArchived, match=r"purchase pu_\w+ is in the archive"):
        await refunds.refund(store, payments, purchase.purchase_id, amount_micro=1_000_000)
    stand_in.refund_outside(purchase.payment_intent, 300)
    event = next(e for e in stand_in.events if e["type"] == "refund.created")
    payload = json.dumps(event)
    response = await gateway.post(
        "/stripe/webhook",
        content=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, SECRET)},
    )
    assert response.status_code == 503, response.text  # Stripe delivers it again later
    assert response.json()["error"]["code"] == "archived"
    assert not await store.redis.exists(store.keys.webhook_event(event["id"]))
    assert await ledger.balances(store) == balances
    assert await store.redis.sismember(
        store.keys.money_archived, f"purchase:{purchase.purchase_id}"
    )
