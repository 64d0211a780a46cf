"""Job bodies for tests, in the network's published submit shape."""

from __future__ import annotations

from typing import Any

from core.models.job import SubmitJob

CREATOR = "0x" + "ab" * 20
HELLO = 'console.log("Hello from Lit Compute!");'


def job_body(**task: Any) -> SubmitJob:
    body: dict[str, Any] = {
        "type": "code-execution",
        "code": HELLO,
        "input": {},
        "requirements": {"cpu": 1, "memory": 2, "gpu": False, "timeout": 30},
    }
    body.update(task)
    return SubmitJob.model_validate({"creatorPKP": CREATOR, "task": body})
