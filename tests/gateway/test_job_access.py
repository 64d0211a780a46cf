"""Who may read a job: anyone sees its status, times and cost; its task, input, result and logs
need the creator's API key or signed request, an operator key, or the session of its node."""

from __future__ import annotations

import httpx

from core import apikeys, jobs, registry
from core.gateway.signed_requests import signed_headers
from core.identity import NodeKey, new_key
from core.models.job import SubmitJob
from core.store import Store
from tests.gateway.conftest import SignedInNode
from tests.gateway.test_api import error_of
from tests.jobfactory import HELLO

SECRET_INPUT = {"customer": "alice", "card": "4242"}
PUBLIC_FIELDS = {
    "jobId",
    "status",
    "createdAt",
    "assignedAt",
    "startedAt",
    "completedAt",
    "estimatedCost",
    "estimatedCostMicroUsd",
    "actualCost",
    "actualCostMicroUsd",
    "archived",  # true once the job has moved to the archive (tests/gateway/test_archived_jobs)
}


async def completed_job(store: Store, creator: NodeKey, node: SignedInNode) -> str:
    """A job of `creator` that ran on `node` (the only node) and left a result and logs."""
    body = SubmitJob.model_validate(
        {
            "creatorPKP": creator.address,
            "task": {"type": "code-execution", "code": HELLO, "input": SECRET_INPUT},
        }
    )
    submitted = await jobs.submit(store, body, max_attempts=3)
    assert submitted.assigned_node_id == node.node_id
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], 30)
    assert claim is not None and claim.job_id == submitted.job_id
    await jobs.complete(
        store, claim.job_id, claim.token, duration_ms=20, output={"total": 42}, logs=["secret log"]
    )
    return submitted.job_id


async def test_anonymous_readers_see_status_times_and_cost_only(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode
) -> None:
    creator = new_key()
    job_id = await completed_job(store, creator, node_a)
    reply = await client.get(f"/lit-compute/jobs/{job_id}")
    assert reply.status_code == 200, reply.text
    public = reply.json()
    assert set(public) == PUBLIC_FIELDS
    assert (public["jobId"], public["status"]) == (job_id, "completed")
    assert public["actualCostMicroUsd"] > 0 and public["completedAt"]
    for secret in ("alice", "4242", "secret log", '"total"', "Hello from", creator.address[2:]):
        assert secret.lower() not in reply.text.lower()


async def test_the_creator_an_operator_and_the_node_that_ran_it_read_everything(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode
) -> None:
    creator = new_key()
    job_id = await completed_job(store, creator, node_a)
    path = f"/lit-compute/jobs/{job_id}"
    _, operator_key = await apikeys.create(store, "operator")
    _, creator_key = await apikeys.create(store, "creator", creator=creator.address)
    signed = signed_headers(creator, pool=store.pool, method="GET", path=path, body=b"")
    for headers in (
        {"Authorization": f"Bearer {operator_key}"},
        {"Authorization": f"Bearer {creator_key}"},
        signed,
        node_a.auth,
    ):
        reply = await client.get(path, headers=headers)
        assert reply.status_code == 200, (headers, reply.text)
        job = reply.json()
        assert job["task"]["input"] == SECRET_INPUT and job["task"]["code"] == HELLO
        assert job["result"] == {"total": 42} and job["logs"] == ["secret log"]


async def test_other_credentials_are_refused_not_downgraded(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode, node_b: SignedInNode
) -> None:
    creator = new_key()
    await registry.change_status(store, node_b.node_id, "drain")  # the job goes to node A
    job_id = await completed_job(store, creator, node_a)
    path = f"/lit-compute/jobs/{job_id}"
    stranger = new_key()
    _, other_creator_key = await apikeys.create(store, "other", creator=stranger.address)
    refused = {
        "another creator's key": {"Authorization": f"Bearer {other_creator_key}"},
        "another creator's signature": signed_headers(
            stranger, pool=store.pool, method="GET", path=path, body=b""
        ),
        "another node's session": node_b.auth,
    }
    for why, headers in refused.items():
        reply = await client.get(path, headers=headers)
        assert reply.status_code == 403, why
        assert "only its creator" in error_of(reply)["message"]
    # Credentials that prove nothing are refused too, rather than read as anonymous.
    forged = signed_headers(creator, pool=store.pool, method="GET", path=path + "x", body=b"")
    for headers in (
        {"Authorization": "Bearer lcn_guessed"},
        {"Authorization": "Bearer lcs_guessed"},
        forged,
    ):
        reply = await client.get(path, headers=headers)
        assert reply.status_code == 401, (headers, reply.text)
        assert "task" not in reply.text
