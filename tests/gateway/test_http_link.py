"""HttpLink: a node's agents over the gateway behave as they do over Redis (RedisLink): same
results, same refusals, automatic sign-in again, retries over a flaky connection."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from core import jobs, ledger, registry
from core.errors import AuthError, Conflict, InvalidInput, NotFound
from core.gateway import sessions
from core.identity import new_key
from core.store import Store
from core.swarm.http_link import HttpLink, LinkUnavailable
from core.swarm.link import NodeLink, RedisLink
from tests.gateway.test_api import REGISTER_BODY
from tests.helpers import register_node
from tests.jobfactory import job_body


async def test_register_sign_in_and_run_a_job_over_http(app: FastAPI, store: Store) -> None:
    key = new_key()
    link = await HttpLink.connect(
        "http://gateway",
        key,
        capabilities=REGISTER_BODY["capabilities"],
        location=REGISTER_BODY["location"],
        transport=httpx.ASGITransport(app),
    )
    node = await registry.get_node(store, link.node_id)
    assert node.pkp_address == key.address and node.status == "active"
    assert await link.node_heartbeat() == "active"
    await link.register_agent("agent-1", ["code-execution"], [])
    await link.agent_report("agent-1", "idle")

    assert await link.claim("agent-1", ["code-execution"], 30) is None
    submitted = await jobs.submit(store, job_body(), max_attempts=3)
    claim = await link.claim("agent-1", ["code-execution"], 30)
    assert claim is not None and claim.job_id == submitted.job_id
    assert claim.task.code == job_body().task.code
    await link.agent_report("agent-1", "working", claim.job_id)
    assert await link.extend(claim.job_id, claim.token, 60) > claim.lease_expires_at - 30_000
    reply = await link.complete(
        claim.job_id, claim.token, duration_ms=20, output={"stdout": "hi"}, logs=["hi"]
    )
    assert reply["status"] == "completed" and reply["duplicate"] is False
    assert reply["node_share"] + reply["platform_share"] == reply["actual_cost"]
    again = await link.complete(claim.job_id, claim.token, duration_ms=20, output={}, logs=[])
    assert again["duplicate"] is True
    await link.agent_report("agent-1", "idle", "", "done")

    job = await jobs.get_job(store, claim.job_id)
    assert job.status == "completed" and job.result == {"stdout": "hi"}
    assert (await ledger.check(store)).ok

    # A second claim handed back (a node shutting down) goes back to the queue, not failed.
    await jobs.submit(store, job_body(), max_attempts=3)
    async with link:
        second = await link.claim("agent-1", ["code-execution"], 30)
        assert second is not None
        assert await link.hand_back(second.job_id, second.token, "shutting down") == "pending"


async def http_link(app: FastAPI, store: Store) -> NodeLink:
    key = new_key()
    await register_node(store, key)
    return await HttpLink.connect("http://gateway", key, transport=httpx.ASGITransport(app))


async def redis_link(_: FastAPI, store: Store) -> NodeLink:
    return RedisLink(store, (await register_node(store)).node_id)


@pytest.mark.parametrize("make_link", [http_link, redis_link])
async def test_refusals_match_the_redis_link(make_link: Any, app: FastAPI, store: Store) -> None:
    link = await make_link(app, store)
    await jobs.submit(store, job_body(), max_attempts=3)
    claim = await link.claim("a", ["code-execution"], 30)
    assert claim is not None
    with pytest.raises(Conflict):
        await link.complete(claim.job_id, "1-stale", duration_ms=1, output=None, logs=[])
    with pytest.raises(Conflict):
        await link.extend(claim.job_id, "1-stale", 10)
    with pytest.raises(InvalidInput):
        await link.claim("a", ["no-such-type"], 30)
    with pytest.raises(NotFound):
        await link.agent_report("never-registered", "idle")
    status = await link.fail(claim.job_id, claim.token, error="boom", logs=[], retryable=True)
    assert status == "pending"  # its only node is excluded from the retry
    with pytest.raises(Conflict):
        await link.fail(claim.job_id, claim.token, error="again", logs=[], retryable=False)
    await link.close()


async def test_signs_in_again_when_the_session_expires(app: FastAPI, store: Store) -> None:
    key = new_key()
    await register_node(store, key)
    link = await HttpLink.connect("http://gateway", key, transport=httpx.ASGITransport(app))
    first = link._token
    assert first is not None
    await store.redis.delete(sessions.session_key(store, first))  # as if its TTL ran out
    assert await link.node_heartbeat() == "active"
    assert link._token not in (None, first)
    await link.close()


async def test_unregistered_node_cannot_connect(app: FastAPI) -> None:
    with pytest.raises(NotFound):
        await HttpLink.connect("http://gateway", new_key(), transport=httpx.ASGITransport(app))


class FlakyTransport(httpx.AsyncBaseTransport):
    """A network that drops the first `drops` connections, then delivers to the app."""

    def __init__(self, app: FastAPI, drops: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.drops = drops
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.drops > 0:
            self.drops -= 1
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)


async def test_retries_connection_failures_then_gives_up(app: FastAPI, store: Store) -> None:
    key = new_key()
    await register_node(store, key)
    flaky = FlakyTransport(app, drops=3)
    link = await HttpLink.connect("http://gateway", key, transport=flaky, backoff_s=0.001)
    assert await link.node_heartbeat() == "active"
    assert flaky.requests == 3 + 3  # three dropped, then challenge, sign-in, heartbeat
    flaky.drops = 100
    with pytest.raises(LinkUnavailable) as refused:
        await link.node_heartbeat()
    assert isinstance(refused.value, ConnectionError)
    await link.close()


async def test_forged_key_is_refused(app: FastAPI, store: Store) -> None:
    key = new_key()
    await register_node(store, key)
    impostor = HttpLink("http://gateway", key, transport=httpx.ASGITransport(app))
    impostor.key = type(key)(key.address, key.public_key, new_key().private_key)
    with pytest.raises(AuthError):
        await impostor.sign_in()
    await impostor.close()
