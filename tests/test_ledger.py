from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import ledger
from core.errors import Conflict, InvalidInput
from core.money import format_usd, split, usd_to_micro
from core.store import Store

ACCOUNTS = ["world", "platform", "escrow", "creator:0x" + "a" * 40, "node:bafyreiaaaaaaaaaa"]


@given(st.integers(min_value=0, max_value=10**13))
def test_split_parts_sum_to_the_whole(total: int) -> None:
    node, platform = split(total)
    assert node + platform == total
    assert node == total * 70 // 100


def test_usd_conversion_is_exact() -> None:
    assert usd_to_micro("0.1") + usd_to_micro("0.2") == usd_to_micro("0.3")
    assert usd_to_micro(0.001) == 1000
    assert format_usd(1_234_560_000) == "$1,234.56"
    with pytest.raises(ValueError):
        usd_to_micro("nan")


async def test_posting_moves_money_and_is_idempotent(store: Store) -> None:
    assert await ledger.post(store, "world", ACCOUNTS[3], 5_000_000, "buy:1", "credit")
    assert not await ledger.post(store, "world", ACCOUNTS[3], 5_000_000, "buy:1", "credit")
    assert await ledger.balance(store, ACCOUNTS[3]) == 5_000_000
    assert await ledger.balance(store, "world") == -5_000_000
    result = await ledger.check(store)
    assert result.balanced and result.journal_matches_balances and result.postings == 1
    # A bare posting names no source (no purchase, job, payout or refund): it is not proven.
    [unproven] = result.unproven
    assert unproven.idem == "buy:1" and not result.proven and not result.payable


@pytest.mark.parametrize(
    ("source", "target", "amount", "error"),
    [
        ("world", "nobody", 1, "not a ledger account"),
        ("world", "platform", -5, "whole number"),
        ("world", "platform", 10**14, "whole number"),
        ("world", "platform", 1.5, "whole number"),
        ("world", "platform", True, "whole number"),
    ],
)
async def test_bad_postings_are_refused_and_write_nothing(
    store: Store, source: str, target: str, amount: int, error: str
) -> None:
    with pytest.raises(InvalidInput, match=error):
        await ledger.post(store, source, target, amount, "k", "credit")
    assert await ledger.balances(store) == {}


async def test_the_script_itself_refuses_a_self_transfer(store: Store) -> None:
    with pytest.raises(InvalidInput, match="between two accounts"):
        await ledger.post(store, "platform", "platform", 1, "k", "credit")


async def test_check_finds_a_tampered_balance_and_earnings(store: Store) -> None:
    await ledger.post(store, "world", "platform", 10, "a", "credit")
    await store.redis.hincrby(store.keys.balances, "platform", 1)
    result = await ledger.check(store)
    assert not result.balanced and result.total == 1
    assert not result.journal_matches_balances
    assert not result.ok


postings = st.lists(
    st.tuples(
        st.sampled_from(ACCOUNTS),
        st.sampled_from(ACCOUNTS),
        st.integers(min_value=0, max_value=10**9),
        st.integers(min_value=0, max_value=15),  # small key space: many repeats
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(postings)
async def test_random_postings_keep_the_ledger_balanced(
    store: Store, ops: list[tuple[str, str, int, int]]
) -> None:
    await store.redis.delete(
        store.keys.balances,
        store.keys.journal,
        store.keys.prefix + "ledger:idem",
        store.keys.prefix + "ledger:checkpoint",  # a new journal starts a new chain
        store.keys.prefix + "ledger:checkpoint:seen",
    )
    expected: dict[str, int] = {}
    seen: dict[int, tuple[str, str, int]] = {}
    for source, target, amount, key in ops:
        if source == target:
            continue
        if key in seen and seen[key] != (source, target, amount):
            with pytest.raises(Conflict, match="already posted with different legs"):
                await ledger.post(store, source, target, amount, f"k{key}", "credit")
            continue
        posted = await ledger.post(store, source, target, amount, f"k{key}", "credit")
        assert posted == (key not in seen)
        if posted:
            seen[key] = (source, target, amount)
            expected[source] = expected.get(source, 0) - amount
            expected[target] = expected.get(target, 0) + amount
    balances = await ledger.balances(store)
    assert sum(balances.values()) == 0
    assert {k: v for k, v in balances.items() if v} == {k: v for k, v in expected.items() if v}
    result = await ledger.check(store)
    assert result.balanced and result.journal_matches_balances  # bare postings: unproven
    assert result.unproven_count == len(seen)
