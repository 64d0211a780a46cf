"""Executors: the code that really runs one job's task and says how it went.

They are pure and async, know nothing of Redis or scheduling, and raise ExecutionError only
for a task that cannot run as given; anything that goes wrong while running is reported in
the returned ExecutionOutcome instead.
"""

from core.swarm.executors.code import available_runtimes, run_code
from core.swarm.executors.data import is_splittable, reduce_data, run_data, split_data
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.models import available_models, run_inference
from core.swarm.executors.outcome import ExecutionOutcome, Limits
from core.swarm.executors.sandbox import sweep_stale_scratch

__all__ = [
    "ExecutionError",
    "ExecutionOutcome",
    "Limits",
    "available_models",
    "available_runtimes",
    "is_splittable",
    "reduce_data",
    "run_code",
    "run_data",
    "run_inference",
    "split_data",
    "sweep_stale_scratch",
]
