"""For every splittable operation: split, run each shard, reduce == run on the whole.

Partial outputs go through a JSON round trip on the way, as they would between nodes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.swarm.executors import reduce_data, run_data, split_data

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
shard_counts = st.integers(min_value=1, max_value=8)
finite = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.one_of(st.integers(min_value=-(10**30), max_value=10**30), finite)
words = st.text(alphabet=st.sampled_from("aAbB Σσς_1é.,'-\n\t"), max_size=12)


async def _split_run_reduce(operation: str, input: Any, shards: int) -> None:
    whole = await run_data(operation, input)
    shard_inputs = split_data(operation, input, shards)
    assert 1 <= len(shard_inputs) <= shards
    outcomes = [await run_data(operation, shard) for shard in shard_inputs]
    assert all(o.ok for o in outcomes)
    partials = json.loads(json.dumps([o.output for o in outcomes]))
    if not whole.ok:  # a float overflow fails the same way either way
        assert whole.error is not None
        try:
            reduce_data(operation, partials)
        except Exception as exc:
            assert str(exc) == whole.error
            return
        raise AssertionError("the reduce succeeded where the whole run failed")
    combined = reduce_data(operation, partials)
    assert combined == whole.output
    assert json.dumps(combined) == json.dumps(whole.output)  # same types and order too


def check(operation: str, input: Any, shards: int) -> None:
    asyncio.run(_split_run_reduce(operation, input, shards))


@SETTINGS
@given(st.one_of(st.text(), st.text(alphabet="ab Σς'.İ", max_size=40)), shard_counts)
def test_word_count_text(text: str, shards: int) -> None:
    check("word-count", {"text": text}, shards)


@SETTINGS
@given(st.lists(words, max_size=12), shard_counts)
def test_word_count_list(texts: list[str], shards: int) -> None:
    check("word-count", texts, shards)


@SETTINGS
@given(
    st.one_of(st.lists(numbers, max_size=40), st.lists(st.text(max_size=5), max_size=40)),
    st.booleans(),
    shard_counts,
)
def test_sort(values: list[Any], reverse: bool, shards: int) -> None:
    check("sort", {"values": values, "reverse": reverse}, shards)


@SETTINGS
@given(st.lists(numbers, max_size=40), shard_counts)
def test_sum(values: list[Any], shards: int) -> None:
    check("sum", {"values": values}, shards)


@SETTINGS
@given(st.lists(numbers, min_size=1, max_size=40), shard_counts)
def test_mean(values: list[Any], shards: int) -> None:
    check("mean", {"values": values}, shards)


group_keys = st.one_of(
    st.sampled_from(["a", "b", "1"]), st.integers(0, 2), st.none(), st.booleans()
)


@SETTINGS
@given(
    st.lists(st.fixed_dictionaries({"k": group_keys, "v": numbers}), max_size=30),
    st.sampled_from(["sum", "count", "mean"]),
    shard_counts,
)
def test_group_by(rows: list[dict[str, Any]], agg: str, shards: int) -> None:
    check("group-by", {"rows": rows, "key": "k", "value": "v", "agg": agg}, shards)
