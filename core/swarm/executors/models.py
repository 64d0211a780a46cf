"""The model-inference task: small real classifiers that every node can serve offline.

The models are trained on first use from datasets that scikit-learn ships inside the package,
so a node needs no download and no weights file, and every node trains exactly the same model
(the solver is deterministic). Training takes well under a second per model, happens once per
process, in a worker thread, and is guarded by a lock so concurrent first requests train once.

Input is `{"features": SAMPLES}` or bare SAMPLES, where SAMPLES is either one sample (a list of
numbers) or a list of samples. Output is always for a batch::

    {"classes": [...], "predictions": [...], "probabilities": [[...], ...]}

with one prediction per sample and each probability row in `classes` order.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.outcome import ExecutionOutcome, finished

MAX_SAMPLES = 1000
_DECIMALS = 6


@dataclass(frozen=True)
class _Spec:
    loader: str  # a sklearn.datasets function
    n_features: int
    what: str  # what one sample is, for error messages
    low: float | None = None
    high: float | None = None


_SPECS: dict[str, _Spec] = {
    "iris-classifier": _Spec(
        "load_iris", 4, "sepal length, sepal width, petal length and petal width in cm"
    ),
    "digits-classifier": _Spec("load_digits", 64, "an 8x8 grayscale image, row by row", 0, 16),
    "wine-classifier": _Spec("load_wine", 13, "the 13 chemical measurements of a wine"),
}


@dataclass(frozen=True)
class _Trained:
    estimator: Any
    classes: list[Any]


_trained: dict[str, _Trained] = {}
_locks = {model_id: threading.Lock() for model_id in _SPECS}


def available_models() -> frozenset[str]:
    """Model ids this node can serve (all of them: nothing is downloaded)."""
    return frozenset(_SPECS)


async def run_inference(model_id: str, input: Any) -> ExecutionOutcome:
    """Classify the samples in `input` with the model `model_id`."""
    spec = _SPECS.get(model_id)
    if spec is None:
        known = ", ".join(sorted(_SPECS))
        raise ExecutionError(f"Unknown model {model_id!r}; known models are {known}.")
    samples = _samples(model_id, spec, input)
    started = time.monotonic()
    model = await asyncio.to_thread(_model, model_id)
    output = await asyncio.to_thread(_predict, model, samples)
    return finished(output, started, time.monotonic())


def _model(model_id: str) -> _Trained:
    with _locks[model_id]:
        model = _trained.get(model_id)
        if model is None:
            model = _trained[model_id] = _train(_SPECS[model_id])
        return model


def _train(spec: _Spec) -> _Trained:
    # Imported here: scikit-learn takes a second to import, and most jobs never need it.
    from sklearn import datasets
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = getattr(datasets, spec.loader)()
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    estimator.fit(data.data, data.target)
    return _Trained(estimator, [_plain(name) for name in data.target_names])


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON understands."""
    return value.item() if hasattr(value, "item") else value


def _predict(model: _Trained, samples: list[list[float]]) -> dict[str, Any]:
    probabilities = model.estimator.predict_proba(samples)
    rows = [[round(float(p), _DECIMALS) for p in row] for row in probabilities]
    best = probabilities.argmax(axis=1).tolist()
    return {
        "classes": list(model.classes),
        "predictions": [model.classes[i] for i in best],
        "probabilities": rows,
    }


def _samples(model_id: str, spec: _Spec, input: Any) -> list[list[float]]:
    data = input.get("features") if isinstance(input, dict) else input
    if isinstance(input, dict) and "features" not in input:
        raise ExecutionError(f"The input for {model_id} needs a 'features' field.")
    if not isinstance(data, list) or not data:
        raise ExecutionError(
            f"The features for {model_id} must be a list of {spec.n_features} numbers "
            "or a non-empty list of such lists."
        )
    batch = data if isinstance(data[0], list) else [data]
    if len(batch) > MAX_SAMPLES:
        raise ExecutionError(
            f"{len(batch)} samples were given, over the limit of {MAX_SAMPLES} per job."
        )
    return [_sample(model_id, spec, i, row) for i, row in enumerate(batch)]


def _sample(model_id: str, spec: _Spec, index: int, row: Any) -> list[float]:
    if not isinstance(row, list) or len(row) != spec.n_features:
        raise ExecutionError(
            f"Sample {index} for {model_id} must be a list of {spec.n_features} numbers "
            f"({spec.what})."
        )
    values: list[float] = []
    for value in row:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExecutionError(f"Sample {index} for {model_id} holds a non-number: {value!r}.")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ExecutionError(f"Sample {index} for {model_id} holds {value!r}, not a number.")
        if (spec.low is not None and number < spec.low) or (
            spec.high is not None and number > spec.high
        ):
            raise ExecutionError(
                f"Sample {index} for {model_id} holds {value!r}, outside "
                f"the range {spec.low} to {spec.high}."
            )
        values.append(number)
    return values
