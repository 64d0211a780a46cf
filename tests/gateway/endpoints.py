"""Every endpoint of the gateway's own OpenAPI schema, with real ids in its path and the
credentials it asks for, so hostile requests reach as far into each handler as they can."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core import apikeys, jobs
from core.config import Settings
from core.gateway import create_app, sessions
from core.identity import new_key
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import job_body

METRICS_TOKEN = "metrics-token-for-hostile-tests"
AGENT_ID = "agent-1"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # the template, e.g. /lit-compute/jobs/{job_id}
    security: tuple[str, ...]  # the schemes it accepts, in the schema's order
    has_body: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints() -> list[Endpoint]:
    schema = create_app(Settings(pool="endpoints")).openapi()
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            schemes = tuple(name for option in operation.get("security", []) for name in option)
            found.append(Endpoint(method.upper(), path, schemes, "requestBody" in operation))
    return found


@dataclass(frozen=True)
class World:
    """What a pool holds for the endpoints to act on: an operator key, a node with two
    sessions (one to sign out with), and a job running on that node with its lease token."""

    operator_key: str
    node_id: str
    session: str
    spare_session: str
    job_id: str
    lease_token: str

    def url(self, endpoint: Endpoint) -> str:
        ids = {"node_id": self.node_id, "job_id": self.job_id, "agent_id": AGENT_ID}
        return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], endpoint.path)

    def headers(self, endpoint: Endpoint) -> dict[str, str]:
        if endpoint.path.endswith("/sessions/current"):
            return {"Authorization": f"Bearer {self.spare_session}"}
        tokens = {
            "apiKey": self.operator_key,
            "nodeSession": self.session,
            "metricsToken": METRICS_TOKEN,
        }
        for scheme in endpoint.security:
            return {"Authorization": f"Bearer {tokens[scheme]}"}
        return {}


async def make_world(store: Store) -> World:
    _, operator_key = await apikeys.create(store, "hostile-tests")
    key = new_key()
    node = await register_node(store, key)

    async def session() -> str:
        challenge = await sessions.issue_challenge(store, key.address, 60)
        signed = await sessions.sign_in(
            store, key.address, challenge.nonce, key.sign(challenge.message), 3600
        )
        return signed.token

    submitted = await jobs.submit(store, job_body(), max_attempts=3)
    claim = await jobs.claim(store, node.node_id, AGENT_ID, ["code-execution"], 3600)
    assert claim is not None and claim.job_id == submitted.job_id
    return World(
        operator_key=operator_key,
        node_id=node.node_id,
        session=await session(),
        spare_session=await session(),
        job_id=claim.job_id,
        lease_token=claim.token,
    )


def valid_bodies(world: World, address: str) -> dict[str, dict[str, Any]]:
    """A well-formed body for every endpoint that takes one (by path template)."""
    return {
        "/lit-compute/nodes/challenge": {"pkpAddress": address},
        "/lit-compute/nodes/register": {
            "pkpAddress": address,
            "publicKey": "0x04" + "11" * 64,
            "capabilities": {"cpu": 8, "memory": 32, "gpu": False, "runtimes": ["python"]},
            "location": {"region": "us-east-1", "lat": 40.7, "lon": -74.0},
            "nonce": "00" * 16,
            "signature": "0x" + "22" * 65,
        },
        "/lit-compute/jobs/submit": {
            "creatorPKP": address,
            "task": {
                "type": "code-execution",
                "code": "console.log(1)",
                "input": {"rows": [1, 2]},
                "requirements": {"cpu": 1, "memory": 1, "gpu": False, "timeout": 30},
            },
        },
        "/lit-compute/nodes/sessions/challenge": {"pkpAddress": address},
        "/lit-compute/nodes/sessions": {
            "pkpAddress": address,
            "nonce": "00" * 16,
            "signature": "0x" + "22" * 65,
        },
        "/lit-compute/nodes/{node_id}/agents": {
            "agentId": AGENT_ID,
            "specialisations": ["code-execution"],
            "models": [],
        },
        "/lit-compute/nodes/{node_id}/agents/{agent_id}/report": {
            "state": "working",
            "currentJob": world.job_id,
            "outcome": "",
        },
        "/lit-compute/nodes/{node_id}/claim": {
            "agentId": AGENT_ID,
            "jobTypes": ["data-processing"],
            "leaseSeconds": 30,
        },
        "/lit-compute/jobs/{job_id}/lease": {"token": world.lease_token, "leaseSeconds": 60},
        "/lit-compute/jobs/{job_id}/logs": {"token": world.lease_token, "lines": ["step 1"]},
        "/lit-compute/jobs/{job_id}/complete": {
            "token": world.lease_token,
            "durationMs": 5,
            "output": {"ok": True},
            "logs": ["line"],
        },
        "/lit-compute/jobs/{job_id}/fail": {
            "token": world.lease_token,
            "error": "it broke",
            "logs": [],
            "retryable": True,
        },
        "/lit-compute/jobs/{job_id}/hand-back": {"token": world.lease_token, "reason": "bye"},
        "/stripe/webhook": {
            "id": "evt_1",
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_1", "metadata": {"purchase": "p1"}}},
        },
    }
