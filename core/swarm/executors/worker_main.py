"""Inside the sandbox: the process that runs model and data jobs for one agent.

Model inference and data operations are our code, but their input is a stranger's, and a
parser or library bug must not hand that stranger the node. So they run in the same sandbox
as code jobs (jail.py), in one long-lived process per agent rather than one per job, because
loading scikit-learn and training a model takes about a second and a data job a millisecond.

Protocol, one JSON object per line each way: a request `{"kind": "model" | "data", "name": …,
"input": …}` is answered by `{"outcome": {…ExecutionOutcome…}}` or `{"error": "…"}` for a task
that cannot run as given. The host kills and restarts this process after any timeout, crash
or limit, so one job's damage does not carry over to the next.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from core.swarm.executors.data import run_data
from core.swarm.executors.errors import ExecutionError
from core.swarm.executors.models import run_inference


def handle(request: dict[str, Any]) -> dict[str, Any]:
    kind, name, value = request.get("kind"), request.get("name"), request.get("input")
    if not isinstance(name, str):
        return {"error": "The task names no model or operation."}
    try:
        if kind == "model":
            outcome = asyncio.run(run_inference(name, value))
        elif kind == "data":
            outcome = asyncio.run(run_data(name, value))
        else:
            return {"error": f"Unknown kind of task {kind!r}."}
    except ExecutionError as exc:
        return {"error": str(exc)}
    return {"outcome": outcome.model_dump(mode="json")}


def main() -> None:
    for line in sys.stdin:
        try:
            request = json.loads(line)
            reply = handle(request) if isinstance(request, dict) else {"error": "Bad request."}
        except ValueError as exc:
            reply = {"error": f"The task is not valid JSON ({exc})."}
        sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
