"""run_data, split_data and reduce_data on hand-picked inputs and on bad ones."""

from __future__ import annotations

from typing import Any

import pytest

from core.swarm.executors import (
    ExecutionError,
    is_splittable,
    reduce_data,
    run_data,
    split_data,
)


async def output(operation: str, input: Any) -> Any:
    outcome = await run_data(operation, input)
    assert outcome.ok, outcome.error
    return outcome.output


async def test_word_count_text() -> None:
    result = await output("word-count", {"text": "The cat, the HAT; the end! café_2 x"})
    assert result["words"] == 8
    assert result["counts"] == {"the": 3, "cat": 1, "hat": 1, "end": 1, "café_2": 1, "x": 1}
    assert list(result["counts"])[:1] == ["the"]


async def test_word_count_list_of_texts() -> None:
    result = await output("word-count", ["a b", "b"])
    assert result == {"words": 3, "counts": {"b": 2, "a": 1}}


async def test_word_count_empty() -> None:
    assert await output("word-count", {"text": " ,. "}) == {"words": 0, "counts": {}}


async def test_sort() -> None:
    assert await output("sort", {"values": [3, 1.5, -2, 10]}) == [-2, 1.5, 3, 10]
    assert await output("sort", {"values": ["b", "a", "C"], "reverse": True}) == ["b", "a", "C"]
    assert await output("sort", {"values": []}) == []


async def test_sum_is_exact() -> None:
    assert await output("sum", {"values": [1, 2, 3]}) == 6
    assert isinstance(await output("sum", {"values": [1, 2, 3]}), int)
    # Naive float addition gives 0.9999999999999999 here.
    assert await output("sum", {"values": [0.1] * 10}) == 1.0
    assert await output("sum", {"values": [1e100, 1.0, -1e100]}) == 1.0
    assert await output("sum", {"values": []}) == 0


async def test_sum_overflow_fails_cleanly() -> None:
    outcome = await run_data("sum", {"values": [1e308, 1e308]})
    assert not outcome.ok
    assert outcome.error == "The sum is too large to represent as a number."


async def test_mean() -> None:
    assert await output("mean", {"values": [1, 2, 3, 4]}) == 2.5
    assert await output("mean", {"values": [1e308, 1e308]}) == 1e308


async def test_group_by() -> None:
    rows = [
        {"dept": "eng", "pay": 10},
        {"dept": "ops", "pay": 4},
        {"dept": "eng", "pay": 20.5},
        {"dept": 7, "pay": 1},
        {"dept": None, "pay": 2},
    ]
    base = {"rows": rows, "key": "dept", "value": "pay"}
    assert await output("group-by", {**base, "agg": "sum"}) == {
        "eng": 30.5,
        "ops": 4,
        "7": 1,
        "null": 2,
    }
    assert await output("group-by", {**base, "agg": "mean"}) == {
        "eng": 15.25,
        "ops": 4.0,
        "7": 1.0,
        "null": 2.0,
    }
    count = await output("group-by", {"rows": rows, "key": "dept", "agg": "count"})
    assert count == {"eng": 2, "ops": 1, "7": 1, "null": 1}
    assert list(count) == ["eng", "ops", "7", "null"]


async def test_sha256() -> None:
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert await output("sha256", {"text": "abc"}) == abc
    assert await output("sha256", {"base64": "YWJj"}) == abc


def test_splittable_operations() -> None:
    for operation in ("word-count", "sort", "sum", "mean", "group-by"):
        assert is_splittable(operation)
    assert not is_splittable("sha256")
    assert not is_splittable("no-such-op")


def test_split_gives_at_most_the_shards_asked_and_never_none() -> None:
    assert len(split_data("sum", {"values": [1, 2, 3]}, 8)) == 3
    assert len(split_data("sum", {"values": list(range(100))}, 8)) == 8
    assert len(split_data("sum", {"values": []}, 8)) == 1
    assert len(split_data("word-count", {"text": "oneverylongword"}, 4)) == 1


def test_word_count_split_never_cuts_a_word() -> None:
    shards = split_data("word-count", {"text": "alpha beta gamma delta"}, 4)
    assert "".join(s["text"] for s in shards) == "alpha beta gamma delta"
    for shard in shards:
        assert not shard["text"].startswith(("lpha", "eta", "amma", "elta"))


async def test_partial_flag_gives_partial_results() -> None:
    partial = await output("mean", {"values": [1, 2], "partial": True})
    assert partial == {"partial": "mean", "sum": ["0x3", "0x1"], "float": False, "count": 2}
    assert reduce_data("mean", [partial, partial]) == 1.5


@pytest.mark.parametrize(
    ("operation", "input", "message"),
    [
        ("word-count", {"txt": "a"}, "needs a 'text' field"),
        ("word-count", {"text": 3}, "'text' field for word-count must be a string"),
        ("word-count", ["a", 1], "only strings"),
        ("word-count", "just a string", "must be a JSON object"),
        ("sort", {"values": [1, "a"]}, "all numbers or all strings"),
        ("sort", {"values": [True, False]}, "all numbers or all strings"),
        ("sort", {"values": [1], "reverse": "yes"}, "true or false"),
        ("sort", {}, "needs a 'values' field"),
        ("sum", {"values": [1, None]}, "must all be numbers, but one is None"),
        ("sum", {"values": "123"}, "must be a list"),
        ("sum", {"values": [0] * 1_000_001}, "1000001 items, over the limit of 1000000"),
        ("sum", {"values": [float("inf")]}, "not valid JSON data"),
        ("mean", {"values": []}, "mean of no values"),
        ("group-by", {"rows": [{"k": "a"}], "key": "k", "agg": "max"}, "must be one of"),
        ("group-by", {"rows": [{"k": "a"}], "key": "k", "agg": "sum"}, "needs a 'value' field"),
        ("group-by", {"rows": [{"x": 1}], "key": "k"}, "Row 0 for group-by has no 'k' field"),
        ("group-by", {"rows": [1], "key": "k"}, "Row 0 .* not a JSON object"),
        ("group-by", {"rows": [{"k": [1]}], "key": "k"}, "not a string or number"),
        (
            "group-by",
            {"rows": [{"k": "a", "v": "1"}], "key": "k", "value": "v", "agg": "sum"},
            "Row 0 for group-by has no number in 'v'",
        ),
        ("sha256", {"text": "a", "base64": "YQ=="}, "exactly one of"),
        ("sha256", {"base64": "not base64!"}, "not valid base64"),
        ("sha256", {"text": "x" * 5_000_001}, "over the limit of 5000000 bytes"),
    ],
)
async def test_bad_input_is_refused(operation: str, input: Any, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        await run_data(operation, input)


async def test_unknown_operation_lists_the_known_ones() -> None:
    with pytest.raises(ExecutionError) as info:
        await run_data("median", {"values": [1]})
    for operation in ("word-count", "sort", "sum", "mean", "group-by", "sha256"):
        assert operation in str(info.value)
    with pytest.raises(ExecutionError, match="Unknown data operation 'median'"):
        split_data("median", {}, 2)
    with pytest.raises(ExecutionError, match="Unknown data operation 'median'"):
        reduce_data("median", [])


@pytest.mark.parametrize("shards", [0, -1, 1025, True, 2.0])
def test_bad_shard_counts_are_refused(shards: Any) -> None:
    with pytest.raises(ExecutionError, match="number of shards"):
        split_data("sum", {"values": [1]}, shards)


def test_split_refusals() -> None:
    with pytest.raises(ExecutionError, match="sha256 operation cannot be split"):
        split_data("sha256", {"text": "a"}, 2)
    with pytest.raises(ExecutionError, match="sha256 operation cannot be split"):
        reduce_data("sha256", ["ab"])
    with pytest.raises(ExecutionError, match="cannot be split again"):
        split_data("sum", {"values": [1], "partial": True}, 2)
    with pytest.raises(ExecutionError, match="mean of no values"):
        split_data("mean", {"values": []}, 2)


@pytest.mark.parametrize(
    ("operation", "partials", "message"),
    [
        ("sum", [], "no partial results"),
        ("sum", [3], "not a partial result of sum"),
        ("sum", [{"partial": "mean", "sum": ["0x1", "0x1"], "float": False, "count": 1}], "sum"),
        ("sum", [{"partial": "sum", "sum": ["zz", "0x1"], "float": False, "count": 1}], "valid"),
        ("sum", [{"partial": "sum", "sum": ["0x1", "0x0"], "float": False, "count": 1}], "valid"),
        ("mean", [{"partial": "mean", "sum": ["0x0", "0x1"], "float": False, "count": 0}], "no"),
        ("sort", [{"partial": "sort", "reverse": False, "values": [1, "a"]}], "all numbers"),
        (
            "sort",
            [
                {"partial": "sort", "reverse": False, "values": [1]},
                {"partial": "sort", "reverse": True, "values": [2]},
            ],
            "do not fit together",
        ),
        ("word-count", [{"counts": {"a": -1}}], "not a word-count result"),
        ("group-by", [{"partial": "group-by", "agg": "sum", "groups": []}], "do not fit"),
    ],
)
def test_bad_partials_are_refused(operation: str, partials: list[Any], message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        reduce_data(operation, partials)


def test_reduce_overflow_is_an_execution_error() -> None:
    big = {"partial": "sum", "sum": [hex(2**1100), "0x1"], "float": True, "count": 1}
    with pytest.raises(ExecutionError, match="too large"):
        reduce_data("sum", [big])
