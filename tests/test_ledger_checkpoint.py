"""The books check continues from signed checkpoints (a check costs what was posted since the
last one, `full` replays everything), money stays exact to the micro-dollar below 2^53, and an
idempotency key reused with different legs is an error."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from redis.exceptions import ResponseError

from core import jobs, ledger
from core import ledger_checkpoint as checkpoints
from core.errors import Conflict, InvalidInput
from core.money import usd_to_micro
from core.store import Store
from tests.forgery import forge, mint_five_thousand
from tests.helpers import register_node
from tests.jobfactory import CREATOR, job_body
from tests.test_provenance import run_job


def journal_reads(store: Store) -> list[tuple[object, ...]]:
    """Count the check's XRANGE calls on the journal (how much of it a check reads)."""
    calls: list[tuple[object, ...]] = []
    xrange = store.redis.xrange

    async def counting(*args: object, **kwargs: object) -> object:
        calls.append((args, kwargs))
        return await xrange(*args, **kwargs)

    store.redis.xrange = counting  # type: ignore[method-assign]
    return calls


async def test_a_check_replays_only_what_was_posted_since_the_last_one(store: Store) -> None:
    node = await register_node(store)
    for _ in range(10):
        await run_job(store, node.node_id)
    first = await ledger.check(store, chunk=4)
    assert first.ok and first.postings == 20 and first.replayed == 20
    assert first.from_checkpoint == "" and first.checkpoint_written
    for _ in range(3):
        await run_job(store, node.node_id)
    calls = journal_reads(store)
    second = await ledger.check(store, chunk=4)
    assert second.ok and second.payable, second.problems
    assert second.postings == 26 and second.replayed == 6 and second.from_checkpoint
    assert len(calls) == 2  # 6 new postings in chunks of 4; the 20 before are not read
    nothing_new = await ledger.check(store, chunk=4)
    assert nothing_new.ok and nothing_new.replayed == 0 and nothing_new.postings == 26
    assert len(calls) == 2
    full = await ledger.check(store, chunk=4, full=True)
    assert full.ok and full.replayed == 26 and full.from_checkpoint == ""
    await run_job(store, node.node_id)
    again = await ledger.check(store, chunk=4)  # continues from the chain `full` started
    assert again.ok and again.replayed == 2 and again.postings == 28 and again.from_checkpoint


async def test_the_key_lives_outside_redis_in_a_private_file(store: Store) -> None:
    assert store.data_dir is not None
    await ledger.check(store)
    key_file = store.data_dir / checkpoints.KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64
    keys = await store.redis.keys(store.keys.prefix + "*")
    for name in keys:  # the key is nowhere in Redis
        if await store.redis.type(name) == b"hash":
            values = await store.redis.hvals(name)
            assert all(key.encode() not in v for v in values)


async def test_a_forged_checkpoint_is_not_trusted_and_minted_money_is_still_found(
    store: Store,
) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    assert (await ledger.check(store)).ok
    earned, credited = await mint_five_thousand(store, node.node_id, CREATOR)
    # The attacker rewrites the checkpoint to say the journal up to their postings is fine.
    cp_key = checkpoints.checkpoint_key(store)
    body = json.loads(await store.redis.hget(cp_key, "body"))
    [(last, _)] = await store.redis.xrevrange(store.keys.journal, count=1)
    body["position"] = last.decode()
    body["balances"] = await ledger.balances(store)
    body["postings"] += 2
    await store.redis.hset(cp_key, "body", json.dumps(body, separators=(",", ":")))
    result = await ledger.check(store)
    assert "signature does not verify" in result.checkpoint_note
    assert result.from_checkpoint == "" and result.replayed == result.postings
    assert not result.payable and [u.posting_id for u in result.unproven] == [earned, credited]
    # The forged checkpoint was replaced by a signed one; the unproven postings stay reported.
    later = await ledger.check(store)
    assert later.from_checkpoint and not later.checkpoint_note
    assert [u.posting_id for u in later.unproven] == [earned, credited]


async def test_a_checkpoint_signed_with_another_key_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    await ledger.check(store)
    monkeypatch.setenv(checkpoints.KEY_ENV, "x" * 40)
    result = await ledger.check(store)
    assert "signed with another key" in result.checkpoint_note and "LCN_LEDGER_KEY" in (
        result.checkpoint_note
    )
    assert result.ok and result.replayed == 2  # replayed in full: the books are still checked
    monkeypatch.setenv(checkpoints.KEY_ENV, "short")
    with pytest.raises(Exception, match="at least 32 characters"):
        await ledger.check(store)


async def test_a_tag_taken_out_of_the_seen_set_is_noticed(store: Store) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    await ledger.check(store)
    seen = checkpoints.seen_key(store)
    [member] = await store.redis.zrange(seen, 0, -1)
    await store.redis.zrem(seen, member)
    result = await ledger.check(store)
    assert "once-only tags has 0 members" in result.checkpoint_note
    assert result.ok and result.from_checkpoint == ""


async def test_a_copied_hold_and_settlement_after_a_checkpoint_is_caught(store: Store) -> None:
    node = await register_node(store)
    job_id = await run_job(store, node.node_id)
    assert (await ledger.check(store)).ok  # the hold is closed before this checkpoint
    entries = await store.redis.xrange(store.keys.journal)
    copies = []
    for _, fields in entries:
        text = {k.decode(): v.decode() for k, v in fields.items()}
        legs = [tuple(leg) for leg in json.loads(text["legs"])]
        copies.append(await forge(store, text["idem"] + "", text["kind"], text["ref"], legs))
    result = await ledger.check(store)
    assert result.from_checkpoint and result.replayed == 2
    assert [u.posting_id for u in result.unproven] == copies
    assert f"job {job_id} was already held for generation 0" in result.unproven[0].reason


async def test_unproven_postings_carry_across_checkpoints_and_can_be_reversed(
    store: Store,
) -> None:
    node = await register_node(store)
    await run_job(store, node.node_id)
    earned, credited = await mint_five_thousand(store, node.node_id, CREATOR)
    assert (await ledger.check(store)).unproven_count == 2
    await run_job(store, node.node_id)
    result = await ledger.check(store)
    assert result.replayed == 2 and [u.posting_id for u in result.unproven] == [earned, credited]
    await ledger.reverse(store, earned)
    done = await ledger.reverse(store, credited)
    assert done.check.ok and done.check.reversed_postings == 2 and done.check.from_checkpoint
    full = await ledger.check(store, full=True)
    assert full.ok and full.reversed_postings == 2


async def test_two_checks_racing_never_report_what_is_not_there(store: Store) -> None:
    import asyncio

    node = await register_node(store)
    for _ in range(4):
        await run_job(store, node.node_id)
    await ledger.check(store)
    for _ in range(3):
        await run_job(store, node.node_id)
    results = await asyncio.gather(*(ledger.check(store, chunk=2) for _ in range(4)))
    assert all(r.ok for r in results), [r.problems for r in results]
    assert sum(r.checkpoint_written for r in results) >= 1
    assert (await ledger.check(store)).ok


# -- money stays exact -------------------------------------------------------------------------

LIB = (resources.files("core.store.lua") / "include" / "lib.lua").read_text()


async def post_legs(store: Store, idem: str, legs: list[list[object]]) -> object:
    """Call the shared posting helper itself, as the job and payment scripts do."""
    from core.store import scripts

    script = (
        scripts.prelude()
        + "\n"
        + LIB
        + "\nreturn post_legs(ARGV[2], 'test', '', cjson.decode(ARGV[3])) and 1 or 0\n"
    )
    try:
        return await store.redis.eval(script, 0, store.keys.prefix, idem, json.dumps(legs))
    except ResponseError as exc:  # translated like any script's refusal
        scripts.raise_script_error(exc)
        raise


async def test_an_amount_just_below_two_to_the_53_is_exact(store: Store) -> None:
    top = 2**53 - 1
    legs = [["world", "platform", top, "credit"], ["world", "escrow", str(top - 2), "credit"]]
    assert await post_legs(store, "big", legs) == 1
    balances = await ledger.balances(store)
    assert balances == {"world": -(2 * top - 2), "platform": top, "escrow": top - 2}
    [(_, fields)] = await store.redis.xrange(store.keys.journal)
    assert json.loads(fields[b"legs"]) == [
        ["world", "platform", top, "credit"],
        ["world", "escrow", top - 2, "credit"],
    ]
    result = await ledger.check(store)
    assert result.balanced and result.journal_matches_balances


@pytest.mark.parametrize("amount", [2**53, 2**53 + 2, 1e16, -1, 1.5, "12a"])
async def test_amounts_at_or_above_two_to_the_53_are_refused_before_any_write(
    store: Store, amount: object
) -> None:
    with pytest.raises(InvalidInput, match="whole number of micro-USD below 2\\^53"):
        await post_legs(store, "big", [["world", "platform", amount, "credit"]])
    assert await ledger.balances(store) == {}
    assert await store.redis.xlen(store.keys.journal) == 0
    assert not await store.redis.exists(store.keys.prefix + "ledger:idem")


def test_usd_amounts_at_or_above_two_to_the_53_micro_are_refused() -> None:
    assert usd_to_micro("9007199254.740991") == 2**53 - 1
    for amount in ("9007199254.740992", "1e15", "-1e400"):
        with pytest.raises(ValueError, match="below 2\\^53 micro-USD"):
            usd_to_micro(amount)


async def test_a_large_job_hold_is_journaled_exactly(store: Store) -> None:
    # The largest prices and sizes the models allow, with digits that 14 significant ones lose.
    node = await register_node(
        store,
        capabilities={"cpu": 64, "memory": 256},
        pricing={"cpuPerSecond": "99.999997", "memoryPerGB": "99.999991"},
    )
    body = job_body(requirements={"cpu": 64, "memory": 256, "gpu": False, "timeout": 3599})
    submitted = await jobs.submit(store, body, max_attempts=3)
    rate = 64 * 99_999_997 + 262_144 * 99_999_991 // 1024
    assert rate * 3599 == 115_167_991_016_896  # cjson's %.14g would write ...016900
    [(_, fields)] = await store.redis.xrange(store.keys.journal)
    [[source, target, held, _]] = json.loads(fields[b"legs"])
    assert held == rate * 3599 == -(await ledger.balance(store, source))
    assert target == "escrow" and await ledger.balance(store, "escrow") == held
    claim = await jobs.claim(store, node.node_id, "a", ["code-execution"], lease_s=30)
    assert claim and claim.job_id == submitted.job_id
    await jobs.complete(store, claim.job_id, claim.token, duration_ms=1234, output=1)
    result = await ledger.check(store)
    assert result.ok and result.payable, result.problems


async def test_an_idempotency_key_reused_with_different_legs_is_an_error(store: Store) -> None:
    assert await ledger.post(store, "world", "platform", 5, "same", "credit")
    assert not await ledger.post(store, "world", "platform", 5, "same", "credit")  # a retry
    with pytest.raises(Conflict, match=r"^Idempotency key same was already posted with different"):
        await ledger.post(store, "world", "platform", 6, "same", "credit")
    with pytest.raises(Conflict, match="different legs"):
        await ledger.post(store, "world", "escrow", 5, "same", "credit")
    assert await ledger.balances(store) == {"world": -5, "platform": 5}
    assert await store.redis.xlen(store.keys.journal) == 1
