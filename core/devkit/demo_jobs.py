"""The demo's job generator: a mix of all three job types, each really executed, drawn from
a seeded random source so a demo is repeatable."""

from __future__ import annotations

import random
from typing import Any

from core.models.job import SubmitJob

HELLO = 'console.log("Hello from Lit Compute!");'

JS_PRIMES = """
const n = JSON.parse(require('fs').readFileSync(process.env.LCN_INPUT)).n;
const sieve = new Uint8Array(n + 1); let count = 0;
for (let i = 2; i <= n; i++) {
  if (!sieve[i]) { count++; for (let j = i * i; j <= n; j += i) sieve[j] = 1; }
}
console.log(JSON.stringify({primesBelow: n, count}));
"""

PY_STATS = """
import json, os, statistics
data = json.load(open(os.environ["LCN_INPUT"]))
xs = [((i * 7919) % 1000) / 10 for i in range(data["n"])]
print(json.dumps({"n": len(xs), "mean": statistics.fmean(xs), "stdev": statistics.pstdev(xs)}))
"""

PY_COLLATZ = """
import json, os
limit = json.load(open(os.environ["LCN_INPUT"]))["limit"]
def steps(n):
    count = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        count += 1
    return count
best = max(range(1, limit), key=steps)
print(json.dumps({"longestBelow": limit, "start": best, "steps": steps(best)}))
"""

WORDS = [
    "compute",
    "network",
    "node",
    "agent",
    "lease",
    "ledger",
    "proof",
    "key",
    "swarm",
    "job",
    "result",
    "cid",
    "payout",
    "stripe",
    "shard",
    "reduce",
    "lit",
]
IRIS = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5], [6.3, 2.9, 5.6, 1.8]]
WINE = [
    [13.2, 1.78, 2.14, 11.2, 100, 2.65, 2.76, 0.26, 1.28, 4.38, 1.05, 3.4, 1050],
    [12.37, 0.94, 1.36, 10.6, 88, 1.98, 0.57, 0.28, 0.42, 1.95, 1.05, 1.82, 520],
]


def _requirements(rng: random.Random, *, gpu: bool = False) -> dict[str, Any]:
    return {
        "cpu": rng.choice([1, 1, 2, 4]),
        "memory": rng.choice([2, 4, 4, 8]),
        "gpu": gpu,
        "timeout": rng.choice([10, 20, 30]),
    }


def code_task(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(4)
    if choice == 0:
        return {"type": "code-execution", "language": "javascript", "code": HELLO, "input": {}}
    if choice == 1:
        return {
            "type": "code-execution",
            "language": "javascript",
            "code": JS_PRIMES,
            "input": {"n": rng.randint(50_000, 400_000)},
        }
    if choice == 2:
        return {
            "type": "code-execution",
            "language": "python",
            "code": PY_STATS,
            "input": {"n": rng.randint(1000, 50_000)},
        }
    return {
        "type": "code-execution",
        "language": "python",
        "code": PY_COLLATZ,
        "input": {"limit": rng.randint(2000, 20_000)},
    }


def inference_task(rng: random.Random) -> dict[str, Any]:
    model = rng.choice(["iris-classifier", "digits-classifier", "wine-classifier"])
    if model == "iris-classifier":
        features: list[list[float]] = [
            [round(v + rng.uniform(-0.3, 0.3), 2) for v in rng.choice(IRIS)] for _ in range(5)
        ]
    elif model == "wine-classifier":
        features = [list(rng.choice(WINE)) for _ in range(3)]
    else:
        features = [[float(rng.randint(0, 16)) for _ in range(64)] for _ in range(3)]
    return {"type": "model-inference", "modelId": model, "input": {"features": features}}


def data_task(rng: random.Random, *, large: bool = False) -> dict[str, Any]:
    operation = rng.choice(["word-count", "sort", "sum", "mean", "group-by", "sha256"])
    size = 12_000 if large else rng.randint(50, 2000)
    if large and operation in ("group-by", "sha256"):
        operation = "word-count"
    if operation == "word-count":
        data: Any = {"text": " ".join(rng.choice(WORDS) for _ in range(size))}
    elif operation in ("sort", "sum", "mean"):
        data = {"values": [rng.randint(-10_000, 10_000) for _ in range(size)]}
    elif operation == "group-by":
        data = {
            "rows": [
                {"region": rng.choice(["eu", "us", "ap"]), "usd": rng.randint(1, 99)}
                for _ in range(size)
            ],
            "key": "region",
            "value": "usd",
            "agg": "sum",
        }
    else:
        data = {"text": " ".join(rng.choice(WORDS) for _ in range(size))}
    return {"type": "data-processing", "operation": operation, "input": data}


def next_job(rng: random.Random, creators: list[str]) -> SubmitJob:
    roll = rng.random()
    if roll < 0.4:
        task = code_task(rng)
        task["requirements"] = _requirements(rng)
    elif roll < 0.7:
        task = inference_task(rng)
        task["requirements"] = _requirements(rng, gpu=rng.random() < 0.5)
    else:
        task = data_task(rng, large=rng.random() < 0.04)
        task["requirements"] = _requirements(rng)
    return SubmitJob.model_validate({"creatorPKP": rng.choice(creators), "task": task})
