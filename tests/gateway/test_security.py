"""Who may do what: nodes act only as themselves, sign-in cannot be forged or replayed,
submitters need a valid key or signature, bodies are size-limited, callers are rate-limited."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from core import apikeys, jobs, registry
from core.config import Settings
from core.gateway import GatewaySettings, create_app, sessions
from core.gateway.signed_requests import signed_headers
from core.identity import new_key
from core.store import Store
from tests.gateway.conftest import SignedInNode, sign_in
from tests.gateway.test_api import SUBMIT_BODY, error_of
from tests.helpers import register_node
from tests.jobfactory import job_body

SUBMIT = "/lit-compute/jobs/submit"


async def running_job_on(store: Store, node: SignedInNode, client: httpx.AsyncClient) -> dict:
    """Submit a job (placed on `node`, the only node with room) and claim it as `node`."""
    result = await jobs.submit(store, job_body(), max_attempts=3)
    assert result.assigned_node_id == node.node_id
    reply = await client.post(
        f"/lit-compute/nodes/{node.node_id}/claim",
        json={"agentId": "agent-1", "jobTypes": ["code-execution"], "leaseSeconds": 30},
        headers=node.auth,
    )
    assert reply.status_code == 200, reply.text
    claimed = reply.json()["claim"]
    assert claimed["jobId"] == result.job_id
    return dict(claimed)


async def test_a_session_of_node_a_cannot_act_for_node_b(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode, node_b: SignedInNode
) -> None:
    await registry.change_status(store, node_a.node_id, "drain")  # B gets the job
    b_job = await running_job_on(store, node_b, client)
    b = node_b.node_id
    as_a = node_a.auth

    claim = {"agentId": "x", "jobTypes": ["code-execution"], "leaseSeconds": 5}
    agent = {"agentId": "x", "specialisations": ["data-processing"]}
    for path, body in (
        (f"/lit-compute/nodes/{b}/heartbeat", None),
        (f"/lit-compute/nodes/{b}/claim", claim),
        (f"/lit-compute/nodes/{b}/agents", agent),
        (f"/lit-compute/nodes/{b}/agents/agent-1/report", {"state": "idle"}),
    ):
        reply = await client.post(path, json=body, headers=as_a)
        assert reply.status_code == 403, (path, reply.text)
        assert error_of(reply)["code"] == "forbidden"

    job_id, token = b_job["jobId"], b_job["token"]
    for path, body in (
        (f"/lit-compute/jobs/{job_id}/lease", {"token": token, "leaseSeconds": 60}),
        (f"/lit-compute/jobs/{job_id}/logs", {"token": token, "lines": ["forged"]}),
        (f"/lit-compute/jobs/{job_id}/complete", {"token": token, "durationMs": 5, "output": 1}),
        (f"/lit-compute/jobs/{job_id}/fail", {"token": token, "error": "sabotage"}),
    ):
        reply = await client.post(path, json=body, headers=as_a)
        assert reply.status_code == 409, (path, reply.text)
    job = await jobs.get_job(store, job_id)
    assert job.status == "running" and job.assigned_node_id == b and job.logs == []

    # An agent id that B registered cannot be taken over or reported on by A.
    await client.post(
        f"/lit-compute/nodes/{b}/agents",
        json={"agentId": "b-agent", "specialisations": ["code-execution"]},
        headers=node_b.auth,
    )
    stolen = await client.post(
        f"/lit-compute/nodes/{node_a.node_id}/agents",
        json={"agentId": "b-agent", "specialisations": ["code-execution"]},
        headers=as_a,
    )
    assert stolen.status_code == 403
    spoofed = await client.post(
        f"/lit-compute/nodes/{node_a.node_id}/agents/b-agent/report",
        json={"state": "stopped"},
        headers=as_a,
    )
    assert spoofed.status_code == 403
    borrowed = await client.post(
        f"/lit-compute/nodes/{node_a.node_id}/claim",
        json={"agentId": "b-agent", "jobTypes": ["code-execution"], "leaseSeconds": 5},
        headers=as_a,
    )
    assert borrowed.status_code == 403

    # B itself can still finish its job: nothing A did changed it.
    done = await client.post(
        f"/lit-compute/jobs/{job_id}/complete",
        json={"token": token, "durationMs": 5, "output": {"ok": True}},
        headers=node_b.auth,
    )
    assert done.status_code == 200 and done.json()["status"] == "completed"


async def test_expired_forged_and_replayed_sign_ins_are_refused(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode
) -> None:
    key = node_a.key
    # An expired session (its key gone from Redis, as after its TTL) is refused with 401.
    await store.redis.pexpire(sessions.session_key(store, node_a.token), 1)
    while await store.redis.exists(sessions.session_key(store, node_a.token)):
        await asyncio.sleep(0.005)
    expired = await client.post(
        f"/lit-compute/nodes/{node_a.node_id}/heartbeat", headers=node_a.auth
    )
    assert expired.status_code == 401 and "sign in again" in error_of(expired)["message"]

    # A made-up token, and no token at all.
    for headers in ({"Authorization": "Bearer lcs_made-up"}, {}):
        reply = await client.post(f"/lit-compute/nodes/{node_a.node_id}/heartbeat", headers=headers)
        assert reply.status_code == 401

    async def challenge() -> dict:
        reply = await client.post(
            "/lit-compute/nodes/sessions/challenge", json={"pkpAddress": key.address}
        )
        return dict(reply.json())

    async def attempt(nonce: str, signature: str) -> httpx.Response:
        return await client.post(
            "/lit-compute/nodes/sessions",
            json={"pkpAddress": key.address, "nonce": nonce, "signature": signature},
        )

    # Forged: signed by another key.
    c = await challenge()
    forged = await attempt(c["nonce"], new_key().sign(c["message"]))
    assert forged.status_code == 401 and "not made by the key" in error_of(forged)["message"]
    # Replayed: the same signed challenge twice.
    good = key.sign(c["message"])
    assert (await attempt(c["nonce"], good)).status_code == 201
    replay = await attempt(c["nonce"], good)
    assert replay.status_code == 401 and "already used" in error_of(replay)["message"]
    # A registration challenge signature cannot open a session (the purpose differs).
    reg = await registry.issue_challenge(store, key.address, 60)
    cross = await attempt(reg.nonce, key.sign(reg.message))
    assert cross.status_code == 401
    # An expired sign-in challenge.
    c = await challenge()
    await store.redis.delete(sessions.nonce_key(store, c["nonce"]))
    late = await attempt(c["nonce"], key.sign(c["message"]))
    assert late.status_code == 401 and "expired" in error_of(late)["message"]


async def test_unregistered_key_cannot_sign_in(client: httpx.AsyncClient) -> None:
    key = new_key()
    c = (
        await client.post("/lit-compute/nodes/sessions/challenge", json={"pkpAddress": key.address})
    ).json()
    reply = await client.post(
        "/lit-compute/nodes/sessions",
        json={"pkpAddress": key.address, "nonce": c["nonce"], "signature": key.sign(c["message"])},
    )
    assert reply.status_code == 404 and "register it first" in error_of(reply)["message"]


async def test_sign_out_ends_the_session(client: httpx.AsyncClient, node_a: SignedInNode) -> None:
    out = await client.delete("/lit-compute/nodes/sessions/current", headers=node_a.auth)
    assert out.status_code == 200 and out.json() == {"signedOut": True}
    after = await client.post(f"/lit-compute/nodes/{node_a.node_id}/heartbeat", headers=node_a.auth)
    assert after.status_code == 401


async def test_api_keys_bad_revoked_and_bound(client: httpx.AsyncClient, store: Store) -> None:
    for header in ("Bearer lcn_not-a-real-key", "Bearer something-else", "Basic abc"):
        reply = await client.post(SUBMIT, json=SUBMIT_BODY, headers={"Authorization": header})
        assert reply.status_code == 401, header
        assert error_of(reply)["code"] == "unauthorized"
    assert (await client.post(SUBMIT, json=SUBMIT_BODY)).status_code == 401

    info, secret = await apikeys.create(store, "short-lived")
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await client.post(SUBMIT, json=SUBMIT_BODY, headers=auth)).status_code == 200
    stored = await store.redis.hgetall(apikeys.record_key(store, apikeys.digest_of(secret)))
    assert stored[b"id"].decode() == info.key_id
    assert secret.encode() not in b"".join(stored.values())  # only its hash is kept
    await apikeys.revoke(store, "short-lived")
    revoked = await client.post(SUBMIT, json=SUBMIT_BODY, headers=auth)
    assert revoked.status_code == 401 and "revoked" in error_of(revoked)["message"]

    _, bound = await apikeys.create(store, "bound", creator="0x" + "cd" * 20)
    other = await client.post(
        SUBMIT, json=SUBMIT_BODY, headers={"Authorization": f"Bearer {bound}"}
    )
    assert other.status_code == 403


async def test_pkp_signed_submissions(client: httpx.AsyncClient, store: Store) -> None:
    creator = new_key()
    body = json.dumps({**SUBMIT_BODY, "creatorPKP": creator.address}).encode()

    def headers(key=creator, payload=body, **kw):  # type: ignore[no-untyped-def]
        return {
            "Content-Type": "application/json",
            **signed_headers(key, pool=store.pool, method="POST", path=SUBMIT, body=payload, **kw),
        }

    signed = headers()
    ok = await client.post(SUBMIT, content=body, headers=signed)
    assert ok.status_code == 200, ok.text
    replay = await client.post(SUBMIT, content=body, headers=signed)
    assert replay.status_code == 401 and "already used" in error_of(replay)["message"]

    tampered = await client.post(SUBMIT, content=body.replace(b"30", b"31"), headers=headers())
    assert tampered.status_code == 401

    stale = await client.post(
        SUBMIT, content=body, headers=headers(timestamp=int(time.time()) - 3600)
    )
    assert stale.status_code == 401 and "too long ago" in error_of(stale)["message"]

    # A valid signature of someone who is not the job's creator.
    stranger = new_key()
    not_creator = await client.post(SUBMIT, content=body, headers=headers(key=stranger))
    assert not_creator.status_code == 403

    partial = {k: v for k, v in headers().items() if k != "X-LCN-Signature"}
    assert (await client.post(SUBMIT, content=body, headers=partial)).status_code == 401


@pytest.fixture
def tight_limits() -> GatewaySettings:
    return GatewaySettings(rate_limit=3, node_rate_limit=3, max_body_bytes=4096)


@pytest.fixture
async def tight_client(
    settings: Settings, store: Store, tight_limits: GatewaySettings
) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, tight_limits, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
        yield c


async def test_oversize_bodies_get_413(tight_client: httpx.AsyncClient, api_key: str) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    big = {**SUBMIT_BODY, "task": {**SUBMIT_BODY["task"], "input": "x" * 10_000}}
    declared = await tight_client.post(SUBMIT, json=big, headers=auth)
    assert declared.status_code == 413
    assert error_of(declared)["code"] == "too_large"

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        for _ in range(10):
            yield b" " * 1000

    chunked = await tight_client.post(SUBMIT, content=streamed(), headers=auth)
    assert chunked.status_code == 413


async def test_rate_limit_gives_429_with_retry_after(
    tight_client: httpx.AsyncClient, store: Store, api_key: str
) -> None:
    codes = [(await tight_client.get("/lit-compute/nodes")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = await tight_client.get("/lit-compute/nodes")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert error_of(limited)["code"] == "rate_limited"
    # Another identity has its own budget; health is never limited.
    auth = {"Authorization": f"Bearer {api_key}"}
    assert (await tight_client.post(SUBMIT, json=SUBMIT_BODY, headers=auth)).status_code == 200
    assert (await tight_client.get("/lit-compute/health")).status_code == 200


async def test_node_sessions_share_one_budget_per_node(
    tight_client: httpx.AsyncClient, store: Store
) -> None:
    key = new_key()
    node = await register_node(store, key)
    first = await sign_in(tight_client, key)  # two of the IP's three requests
    challenge = await sessions.issue_challenge(store, key.address, 60)
    second = await sessions.sign_in(
        store, key.address, challenge.nonce, key.sign(challenge.message), 60
    )
    codes = []
    for token in (first, second.token, first, second.token):
        reply = await tight_client.post(
            f"/lit-compute/nodes/{node.node_id}/heartbeat",
            headers={"Authorization": f"Bearer {token}"},
        )
        codes.append(reply.status_code)
    assert codes == [200, 200, 200, 429]
