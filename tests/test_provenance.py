"""The books check proves where money came from: balanced postings written straight into Redis
(issue 10's attack) are named by their journal ids, and payouts stop until they are reversed."""

from __future__ import annotations

import asyncio
import json

import pytest

from console.triage_words import triage_sentence
from core import actions, jobs, ledger
from core.errors import Conflict, InvalidInput, NotFound
from core.reads.snapshot import ViewRequest, poll
from core.store import Store
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from tests.forgery import FIVE_THOUSAND_USD, forge, mint_five_thousand
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body

CREATOR_ACCOUNT = f"creator:{CREATOR}"


async def run_job(store: Store, node_id: str, *, fail: bool = False) -> str:
    """A job through the real scripts: submitted, claimed, completed (or failed in its code)."""
    job_id = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    claim = await jobs.claim(store, node_id, "a", ["code-execution"], lease_s=30)
    assert claim and claim.job_id == job_id
    if fail:
        await jobs.fail(store, job_id, claim.token, error="Exited with code 1.", duration_ms=5)
    else:
        await jobs.complete(store, job_id, claim.token, duration_ms=5, output=1)
    return job_id


async def test_every_posting_of_real_work_is_proven_across_chunks(store: Store) -> None:
    node = await register_node(store)
    for fail in (False, True, False):
        await run_job(store, node.node_id, fail=fail)
    cancelled = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    await jobs.cancel(store, cancelled)
    assert await jobs.retry(store, cancelled) == "assigned"  # a second generation, held anew
    for chunk in (1, 2, 5000):  # pairs of hold and settlement split over chunks
        result = await ledger.check(store, chunk=chunk)
        assert result.ok and result.proven and result.payable, result.problems
        assert result.postings == 9


async def test_minted_money_is_named_by_posting_id_and_stops_payouts(store: Store) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    earned, credited = await mint_five_thousand(store, node.node_id, CREATOR)
    result = await ledger.check(store)
    # What fooled the old check still holds: it balances, the journal matches the balances,
    # and the node's earnings counter matches the journal.
    assert result.balanced and result.journal_matches_balances and not result.earnings_mismatches
    assert not result.proven and not result.payable and not result.ok
    assert result.unproven_count == 2
    assert [u.posting_id for u in result.unproven] == [earned, credited]
    assert "no job bonus-" in result.unproven[0].reason
    assert "no purchase gift exists" in result.unproven[1].reason
    assert result.unproven[0].legs[0].amount_micro_usd == FIVE_THOUSAND_USD
    assert any(f"e.g. {earned}" in p for p in result.problems)


async def test_the_orchestrator_flags_it_in_triage_and_the_payout_script_refuses(
    store: Store,
) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    earned, _ = await mint_five_thousand(store, node.node_id, CREATOR)
    await store.redis.hset(store.keys.node(node.node_id), "stripe_account", "acct_test")
    await Orchestrator(store, OrchestratorConfig(ledger_check_every_s=0)).tick()
    snapshot = await poll(store, ViewRequest())
    assert snapshot.triage is not None
    [item] = [i for i in snapshot.triage.items if i.kind == "ledger"]
    words = triage_sentence(item, snapshot.now_ms)
    assert earned in words and "Payouts are stopped" in words
    # Even a payout reserved without `payouts run` (which checks first) is refused in Redis.
    with pytest.raises(Conflict, match=f"unproven postings: {earned}"):
        await store.script("reserve_payout", [store.keys.node(node.node_id)], "po_x", 1, 1, "")
    assert await ledger.balance(store, "payouts") == 0


async def imitations(store: Store) -> list[tuple[str, str]]:
    """Forgeries that copy the shape of our own postings, and why each is refused."""
    node = await register_node(store)
    done = await run_job(store, node.node_id)
    other = await register_node(store)
    job = await jobs.get_job(store, done)
    cost = job.actual_cost_micro_usd or 0
    hold = job.estimated_cost_micro_usd
    node_acct, other_acct = f"node:{node.node_id}", f"node:{other.node_id}"
    settle_legs = [
        ("escrow", node_acct, cost * 70 // 100, "earn"),
        ("escrow", "platform", cost - cost * 70 // 100, "fee"),
        ("escrow", CREATOR_ACCOUNT, hold - cost, "release"),
    ]
    cases = [
        # The job's own settlement, posted a second time: the hold it settles is spent.
        (f"settle:{done}:0", "settle", done, settle_legs, "no open hold"),
        # ... with a copied hold first, so the pair balances: a generation is held once.
        (f"hold:{done}:0", "hold", done, [(CREATOR_ACCOUNT, "escrow", hold, "hold")], "already"),
        # A settlement for a generation the job never had.
        (f"settle:{done}:4", "settle", done, settle_legs, "no open hold for generation 4"),
        # A hold released after the job was settled.
        (
            f"release:{done}:0",
            "release",
            done,
            [("escrow", CREATOR_ACCOUNT, hold, "release")],
            "no open hold",
        ),
        # A node earning from a job that ran elsewhere.
        (f"settle:{done}:0", "settle", done, [("escrow", other_acct, 7, "earn")], "shaped"),
        # Credit for a purchase that does not exist.
        (
            "purchase:pu_nothing",
            "credit",
            "pu_nothing",
            [("world", CREATOR_ACCOUNT, FIVE_THOUSAND_USD, "credit")],
            "no purchase",
        ),
        # A failed payout's return to a node, for a payout never made.
        (
            "payout:release:po_nothing:1",
            "payout_release",
            "po_nothing",
            [("payouts", node_acct, FIVE_THOUSAND_USD, "payout_release")],
            "no payout",
        ),
        # A refund's return for a refund never made.
        (
            "refund:release:rf_nothing",
            "refund_release",
            "pu_x",
            [("refunds", CREATOR_ACCOUNT, FIVE_THOUSAND_USD, "refund_release")],
            "no refund",
        ),
        # An operator's reversal of a posting that is proven.
        ("reverse:1-0", "reverse", "1-0", [("world", node_acct, 1, "reverse")], "mirror"),
    ]
    out = []
    for idem, kind, ref, legs, why in cases:
        out.append((await forge(store, idem, kind, ref, legs), why))
    out.append(
        (await forge(store, "x", "credit", "", [], raw_legs="[[1, 2"), "legs are not a list")
    )
    return out


async def test_forgeries_that_imitate_our_postings_are_each_named(store: Store) -> None:
    forged = await imitations(store)
    result = await ledger.check(store)
    reasons = {u.posting_id: u.reason for u in result.unproven}
    assert result.unproven_count == len(forged) and set(reasons) == {pid for pid, _ in forged}
    for posting_id, why in forged:
        assert why in reasons[posting_id], (posting_id, reasons[posting_id])


async def test_an_operator_reverses_a_forgery_and_payouts_may_resume(store: Store) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    earned_before = await ledger.balance(store, f"node:{node.node_id}")
    earned, credited = await mint_five_thousand(store, node.node_id, CREATOR)
    with pytest.raises(Conflict, match="No payout is made while the ledger check fails"):
        await ledger.require_payable(store)
    with pytest.raises(InvalidInput):
        await ledger.reverse(store, "not-an-id")
    with pytest.raises(NotFound):
        await ledger.reverse(store, "1-0")
    first = (await store.redis.xrange(store.keys.journal, count=1))[0][0].decode()
    with pytest.raises(Conflict, match="is proven by its source"):  # a real job's hold
        await ledger.reverse(store, first)
    await actions.reverse_posting(store, "alice", earned, "minted by a job")
    done = await actions.reverse_posting(store, "alice", credited)
    assert done.check.ok and done.check.reversed_postings == 2 and done.check.payable
    assert await ledger.balance(store, f"node:{node.node_id}") == earned_before
    assert await ledger.balance(store, CREATOR_ACCOUNT) < 0  # what it really spent
    with pytest.raises(Conflict, match="already reversed"):
        await ledger.reverse(store, earned)
    await ledger.require_payable(store)  # the books are proven again
    audit = await store.redis.xrange(store.keys.audit)
    assert any(
        b"ledger.reverse" in json.dumps([v.decode() for v in f.values()]).encode() for _, f in audit
    )


async def test_a_reversal_names_its_own_entry_when_another_posting_follows_it(
    store: Store,
) -> None:
    node = await register_node(store)
    earned, _ = await mint_five_thousand(store, node.node_id, CREATOR)
    script = store.script

    async def then_a_job(name: str, *args: object, **kwargs: object) -> object:
        reply = await script(name, *args, **kwargs)  # type: ignore[arg-type]
        if name == "reverse_posting":
            await run_job(store, node.node_id)  # lands before the reversal's id could be read
        return reply

    store.script = then_a_job  # type: ignore[method-assign,assignment]
    try:
        done = await ledger.reverse(store, earned)
    finally:
        store.script = script  # type: ignore[method-assign]
    [(_, fields)] = await store.redis.xrange(
        store.keys.journal, min=done.reversal_id, max=done.reversal_id
    )
    assert fields[b"kind"] == b"reverse" and fields[b"ref"] == earned.encode()


async def test_the_check_reads_records_in_one_round_trip_per_chunk(store: Store) -> None:
    node = await register_node(store)
    for _ in range(6):
        await run_job(store, node.node_id)
    calls: list[int] = []
    pipeline = store.redis.pipeline

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return pipeline(*args, **kwargs)  # type: ignore[arg-type]

    store.redis.pipeline = counting  # type: ignore[method-assign]
    try:
        result = await ledger.check(store, chunk=4)
    finally:
        store.redis.pipeline = pipeline  # type: ignore[method-assign]
    assert result.ok and result.postings == 12
    # 3 chunks of the journal, one pipelined read of their records each, plus the nodes' pass,
    # plus the new checkpoint's set of once-only tags, written in one pipelined call.
    assert len(calls) == 3 + 1 + 1


async def test_a_live_pool_never_looks_unbalanced_while_it_is_checked(store: Store) -> None:
    node = await register_node(store)
    stop = asyncio.Event()

    async def work() -> None:
        while not stop.is_set():
            await run_job(store, node.node_id)

    worker = asyncio.create_task(work())
    try:
        for _ in range(10):
            result = await ledger.check(store, chunk=3)
            assert result.balanced and result.journal_matches_balances and result.proven
    finally:
        stop.set()
        await worker


async def test_the_seeded_console_pool_keeps_honest_books(store: Store) -> None:
    from core.devkit import seed

    await seed.seed(store)
    result = await ledger.check(store)
    assert result.ok and result.payable and result.postings > 100, result.problems
