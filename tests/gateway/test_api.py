"""The published API through the gateway: health, registration, listing, submission, reading,
and every refusal as one sentence in the error body."""

from __future__ import annotations

from pathlib import Path

import httpx

from core import apikeys
from core.config import Settings
from core.gateway import GatewaySettings, create_app
from core.identity import new_key
from core.store import Store
from tests.helpers import register_node
from tests.jobfactory import CREATOR, HELLO

REGISTER_BODY = {
    "capabilities": {
        "cpu": 8,
        "memory": 32,
        "gpu": False,
        "storage": 500,
        "runtimes": ["python", "javascript"],
    },
    "location": {"region": "us-east-1", "lat": 40.7128, "lon": -74.006},
}
SUBMIT_BODY = {
    "creatorPKP": CREATOR,
    "task": {
        "type": "code-execution",
        "code": HELLO,
        "input": {},
        "requirements": {"cpu": 1, "memory": 2, "gpu": False, "timeout": 30},
    },
}


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"].endswith("."), body
    assert "Traceback" not in response.text
    return dict(body["error"])


async def try_register(
    client: httpx.AsyncClient, registrar: httpx.AsyncClient | None = None
) -> httpx.Response:
    """Challenge through `client` for a new key, register through `registrar` (default: the
    same one); the gateway's reply, whatever it is."""
    key = new_key()
    challenge = (
        await client.post("/lit-compute/nodes/challenge", json={"pkpAddress": key.address})
    ).json()
    return await (registrar or client).post(
        "/lit-compute/nodes/register",
        json={
            "pkpAddress": key.address,
            "publicKey": key.public_key,
            **REGISTER_BODY,
            "nonce": challenge["nonce"],
            "signature": key.sign(challenge["message"]),
        },
    )


async def register_over_http(
    client: httpx.AsyncClient, registrar: httpx.AsyncClient | None = None
) -> dict[str, object]:
    """A node registered over HTTP (see `try_register`): its record."""
    reply = await try_register(client, registrar)
    assert reply.status_code == 201, reply.text
    return dict(reply.json())


async def test_health_reports_counts(client: httpx.AsyncClient, store: Store) -> None:
    reply = await client.get("/lit-compute/health")
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["nodes"], body["jobs"]) == ("ok", 0, 0)
    await register_node(store)
    assert (await client.get("/lit-compute/health")).json()["nodes"] == 1


async def test_redis_down_is_503_not_a_traceback(tmp_path: Path) -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1/0", pool="down", data_dir=tmp_path)
    app = create_app(settings, GatewaySettings(metrics_token="metrics-token-for-tests"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        health = await client.get("/lit-compute/health")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"
        for reply in (
            await client.get("/lit-compute/nodes"),
            await client.post("/lit-compute/nodes/challenge", json={"pkpAddress": CREATOR}),
            await client.get(
                "/metrics", headers={"Authorization": "Bearer metrics-token-for-tests"}
            ),
        ):
            assert reply.status_code == 503
            assert error_of(reply)["code"] == "unavailable"


async def test_register_with_challenge_then_list_and_get(client: httpx.AsyncClient) -> None:
    node = await register_over_http(client)
    assert str(node["nodeId"]).startswith("bafyrei")
    assert (node["status"], node["reputation"]) == ("active", 100)
    await register_over_http(client)
    await register_over_http(client)

    page = await client.get("/lit-compute/nodes", params={"limit": 2})
    assert page.status_code == 200
    assert page.headers["X-Total-Count"] == "3"
    assert page.json()[0]["nodeId"] == node["nodeId"]
    assert len(page.json()) == 2
    rest = await client.get("/lit-compute/nodes", params={"offset": 2, "limit": 2})
    assert len(rest.json()) == 1
    active = await client.get("/lit-compute/nodes", params={"status": "offline"})
    assert active.json() == [] and active.headers["X-Total-Count"] == "0"

    one = await client.get(f"/lit-compute/nodes/{node['nodeId']}")
    assert one.status_code == 200 and one.json()["pkpAddress"] == node["pkpAddress"]


async def test_registration_refusals(client: httpx.AsyncClient) -> None:
    key, other = new_key(), new_key()
    challenge = (
        await client.post("/lit-compute/nodes/challenge", json={"pkpAddress": key.address})
    ).json()
    body = {
        "pkpAddress": key.address,
        "publicKey": key.public_key,
        **REGISTER_BODY,
        "nonce": challenge["nonce"],
    }
    forged = await client.post(
        "/lit-compute/nodes/register", json={**body, "signature": other.sign(challenge["message"])}
    )
    assert forged.status_code == 401
    assert "signature" in error_of(forged)["message"]
    good = {**body, "signature": key.sign(challenge["message"])}
    assert (await client.post("/lit-compute/nodes/register", json=good)).status_code == 201
    replay = await client.post("/lit-compute/nodes/register", json=good)
    assert replay.status_code == 409
    assert "already used" in error_of(replay)["message"]
    bad_address = await client.post("/lit-compute/nodes/challenge", json={"pkpAddress": "0x12"})
    assert bad_address.status_code == 422
    assert "pkpAddress" in error_of(bad_address)["message"]


async def test_unknown_and_malformed_ids(client: httpx.AsyncClient) -> None:
    missing = await client.get("/lit-compute/nodes/" + "bafyrei" + "a" * 52)
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    malformed = await client.get("/lit-compute/jobs/not-a-cid")
    assert malformed.status_code == 400 and "not a valid CID" in error_of(malformed)["message"]
    assert (await client.get("/lit-compute/nowhere")).status_code == 404
    wrong_method = await client.delete("/lit-compute/nodes")
    assert wrong_method.status_code == 405 and error_of(wrong_method)["code"]


async def test_submit_the_example_job_and_read_it_back(
    client: httpx.AsyncClient, store: Store, api_key: str
) -> None:
    node = await register_node(store)
    auth = {"Authorization": f"Bearer {api_key}"}
    reply = await client.post("/lit-compute/jobs/submit", json=SUBMIT_BODY, headers=auth)
    assert reply.status_code == 200, reply.text
    result = reply.json()
    assert result["status"] == "assigned"
    assert result["assignedNodeId"] == node.node_id
    assert result["estimatedCost"] > 0

    job = await client.get(f"/lit-compute/jobs/{result['jobId']}", headers=auth)
    assert job.status_code == 200
    assert job.json()["task"]["code"] == HELLO
    assert job.json()["creatorPKP"] == CREATOR

    listed = await client.get("/lit-compute/jobs", headers=auth, params={"status": "assigned"})
    assert listed.headers["X-Total-Count"] == "1"
    assert listed.json()[0]["jobId"] == result["jobId"]
    by_node = await client.get("/lit-compute/jobs", headers=auth, params={"nodeId": node.node_id})
    assert [j["jobId"] for j in by_node.json()] == [result["jobId"]]


async def test_job_without_capable_node_waits_with_reason(
    client: httpx.AsyncClient, api_key: str
) -> None:
    reply = await client.post(
        "/lit-compute/jobs/submit",
        json=SUBMIT_BODY,
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert reply.json()["status"] == "pending"
    assert "No registered node" in reply.json()["pendingReason"]


async def test_validation_errors_are_one_sentence(client: httpx.AsyncClient, api_key: str) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    no_code = {**SUBMIT_BODY, "task": {"type": "code-execution", "input": {}}}
    reply = await client.post("/lit-compute/jobs/submit", json=no_code, headers=auth)
    assert reply.status_code == 422
    assert error_of(reply)["message"] == "body field task: a code-execution task needs code."

    bad_json = await client.post(
        "/lit-compute/jobs/submit",
        content=b'{"creatorPKP": ',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 422
    assert error_of(bad_json)["message"] == "The body is not valid JSON."

    extra = await client.post(
        "/lit-compute/jobs/submit", json={**SUBMIT_BODY, "priority": 9}, headers=auth
    )
    assert extra.status_code == 422 and "priority" in error_of(extra)["message"]

    too_many = await client.get("/lit-compute/nodes", params={"limit": 5000})
    assert too_many.status_code == 422
    assert error_of(too_many)["message"].startswith("query parameter limit:")


async def test_operator_key_lists_jobs_but_a_creator_key_may_not(
    client: httpx.AsyncClient, store: Store
) -> None:
    _, bound = await apikeys.create(store, "one-creator", creator=CREATOR)
    reply = await client.get("/lit-compute/jobs", headers={"Authorization": f"Bearer {bound}"})
    assert reply.status_code == 403
    assert "operator API key" in error_of(reply)["message"]
    submitted = await client.post(
        "/lit-compute/jobs/submit",
        json=SUBMIT_BODY,
        headers={"Authorization": f"Bearer {bound}"},
    )
    assert submitted.status_code == 200


async def test_openapi_schema_is_served(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "/lit-compute/jobs/submit" in schema["paths"]
    assert "/lit-compute/nodes/{node_id}/claim" in schema["paths"]
    assert {"apiKey", "nodeSession"} <= set(schema["components"]["securitySchemes"])


async def test_bodies_are_validated_strictly(client: httpx.AsyncClient, api_key: str) -> None:
    auth = {"Authorization": f"Bearer {api_key}"}
    task = SUBMIT_BODY["task"]
    assert isinstance(task, dict)
    lax = {**SUBMIT_BODY, "task": {**task, "requirements": {"cpu": 1, "gpu": 0}}}
    reply = await client.post("/lit-compute/jobs/submit", json=lax, headers=auth)
    assert reply.status_code == 422
    assert "gpu" in error_of(reply)["message"] and "boolean" in error_of(reply)["message"]
    shard = {**SUBMIT_BODY, "parent": "bafyrei" + "a" * 52}
    refused = await client.post("/lit-compute/jobs/submit", json=shard, headers=auth)
    assert refused.status_code == 400 and "parent" in error_of(refused)["message"]


async def test_405_names_the_methods_of_the_path(client: httpx.AsyncClient) -> None:
    # /nodes/sessions also matches GET /nodes/{node_id}, but the literal path is what it is.
    reply = await client.put("/lit-compute/nodes/sessions")
    assert reply.status_code == 405 and reply.headers["Allow"] == "POST"
    assert error_of(reply)["message"] == "This endpoint accepts POST only."
    assert (await client.put("/lit-compute/nodes/x/claim")).headers["Allow"] == "POST"
    assert (await client.put("/lit-compute/nodes/x")).headers["Allow"] == "GET"
