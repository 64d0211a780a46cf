"""run_inference with the real, lazily trained models, checked against their training data."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest
from sklearn.datasets import load_digits, load_iris, load_wine

from core.swarm.executors import ExecutionError, available_models, run_inference


def test_available_models() -> None:
    assert {"iris-classifier", "digits-classifier", "wine-classifier"} <= available_models()


async def test_iris_known_samples() -> None:
    data = load_iris()
    samples = [data.data[i].tolist() for i in (0, 50, 100)]
    outcome = await run_inference("iris-classifier", {"features": samples})
    assert outcome.ok, outcome.error
    assert outcome.output["predictions"] == ["setosa", "versicolor", "virginica"]
    assert outcome.output["classes"] == ["setosa", "versicolor", "virginica"]
    for row in outcome.output["probabilities"]:
        assert len(row) == 3
        assert math.isclose(sum(row), 1.0, abs_tol=1e-5)


async def test_iris_single_sample_as_bare_list() -> None:
    outcome = await run_inference("iris-classifier", [5.1, 3.5, 1.4, 0.2])
    assert outcome.output["predictions"] == ["setosa"]
    assert outcome.output["probabilities"][0][0] > 0.9


async def test_digits_known_samples() -> None:
    data = load_digits()
    samples = [data.data[i].tolist() for i in range(10)]
    outcome = await run_inference("digits-classifier", {"features": samples})
    assert outcome.ok, outcome.error
    assert outcome.output["predictions"] == list(range(10))
    assert outcome.output["classes"] == list(range(10))


async def test_wine_known_samples() -> None:
    data = load_wine()
    samples = [data.data[i].tolist() for i in (0, 59, 130)]
    outcome = await run_inference("wine-classifier", samples)
    assert outcome.output["predictions"] == ["class_0", "class_1", "class_2"]


async def test_concurrent_first_use_agrees() -> None:
    sample = load_wine().data[10].tolist()
    outcomes = await asyncio.gather(*(run_inference("wine-classifier", sample) for _ in range(4)))
    assert len({str(o.output) for o in outcomes}) == 1


@pytest.mark.parametrize(
    ("model_id", "input", "message"),
    [
        ("iris-classifier", {"rows": [[1, 2, 3, 4]]}, "needs a 'features' field"),
        ("iris-classifier", [], "non-empty list"),
        ("iris-classifier", "5.1,3.5,1.4,0.2", "non-empty list"),
        ("iris-classifier", [1, 2, 3], "must be a list of 4 numbers"),
        ("iris-classifier", [[1, 2, 3, 4], [1, 2, 3]], "Sample 1 .* must be a list of 4"),
        ("iris-classifier", [1, 2, 3, "4"], "non-number: '4'"),
        ("iris-classifier", [1, 2, 3, True], "non-number: True"),
        ("iris-classifier", [1, 2, 3, float("nan")], "holds nan, not a number"),
        ("iris-classifier", [1, 2, 3, 10**400], "not a number"),
        ("iris-classifier", [[1, 2, 3, 4]] * 1001, "1001 samples .* limit of 1000"),
        ("digits-classifier", [17] * 64, "outside the range 0 to 16"),
        ("digits-classifier", [-1] * 64, "outside the range 0 to 16"),
        ("digits-classifier", [1] * 4, "64 numbers"),
    ],
)
async def test_bad_input_is_refused(model_id: str, input: Any, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        await run_inference(model_id, input)


async def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(ExecutionError) as info:
        await run_inference("gpt-5", [1])
    assert "'gpt-5'" in str(info.value)
    for model_id in available_models():
        assert model_id in str(info.value)
