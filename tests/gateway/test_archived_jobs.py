"""GET /jobs/{id} and GET /jobs read archived jobs exactly as live ones, plus `archived: true`:
strangers still see only status, times and cost; the creator, an operator and the node that ran
it see everything; other credentials are refused; unknown ids are still 404."""

from __future__ import annotations

import httpx

from core import apikeys, registry
from core.config import Settings
from core.gateway.signed_requests import signed_headers
from core.identity import new_key
from core.ids import record_cid
from core.store import Store
from tests.archived import archive_job
from tests.gateway.conftest import SignedInNode
from tests.gateway.test_api import error_of
from tests.gateway.test_job_access import PUBLIC_FIELDS, SECRET_INPUT, completed_job


async def test_an_archived_job_reads_as_it_did_live_with_the_same_access_rules(
    client: httpx.AsyncClient,
    store: Store,
    settings: Settings,
    node_a: SignedInNode,
    node_b: SignedInNode,
) -> None:
    creator = new_key()
    await registry.change_status(store, node_b.node_id, "drain")  # the job goes to node A
    job_id = await completed_job(store, creator, node_a)
    path = f"/lit-compute/jobs/{job_id}"
    _, operator_key = await apikeys.create(store, "operator")
    _, creator_key = await apikeys.create(store, "creator", creator=creator.address)
    readers = {
        "operator": {"Authorization": f"Bearer {operator_key}"},
        "creator's key": {"Authorization": f"Bearer {creator_key}"},
        "node that ran it": node_a.auth,
    }
    live_public = (await client.get(path)).json()
    live_whole = (await client.get(path, headers=readers["operator"])).json()
    assert live_public["archived"] is False and live_whole["archived"] is False

    await archive_job(store, settings, job_id)
    assert not await store.redis.exists(store.keys.job(job_id))

    reply = await client.get(path)
    assert reply.status_code == 200, reply.text
    public = reply.json()
    assert set(public) == PUBLIC_FIELDS and public == {**live_public, "archived": True}
    for secret in ("alice", "4242", "secret log", '"total"', "Hello from", creator.address[2:]):
        assert secret.lower() not in reply.text.lower()

    signed = signed_headers(creator, pool=store.pool, method="GET", path=path, body=b"")
    for who, headers in {**readers, "creator's signature": signed}.items():
        reply = await client.get(path, headers=headers)
        assert reply.status_code == 200, (who, reply.text)
        job = reply.json()
        assert job == {**live_whole, "archived": True}, who
        assert job["task"]["input"] == SECRET_INPUT and job["logs"] == ["secret log"]

    stranger = new_key()
    _, other_key = await apikeys.create(store, "other", creator=stranger.address)
    for headers in ({"Authorization": f"Bearer {other_key}"}, node_b.auth):
        reply = await client.get(path, headers=headers)
        assert reply.status_code == 403 and "only its creator" in error_of(reply)["message"]
        assert "secret" not in reply.text


async def test_unknown_ids_are_still_404_with_an_archive(
    client: httpx.AsyncClient, store: Store, settings: Settings, node_a: SignedInNode
) -> None:
    await archive_job(store, settings, await completed_job(store, new_key(), node_a))
    unknown = record_cid({"unknown": 1})
    reply = await client.get(f"/lit-compute/jobs/{unknown}")
    assert reply.status_code == 404 and f"No job {unknown}" in error_of(reply)["message"]
    reply = await client.get("/lit-compute/jobs/not-a-cid%27%20OR%201=1")
    assert reply.status_code == 400


async def test_the_job_list_pages_on_into_the_archive(
    client: httpx.AsyncClient, store: Store, settings: Settings, node_a: SignedInNode
) -> None:
    made = [await completed_job(store, new_key(), node_a) for _ in range(3)]
    await archive_job(store, settings, made[0])
    await archive_job(store, settings, made[1])
    _, operator_key = await apikeys.create(store, "operator")
    auth = {"Authorization": f"Bearer {operator_key}"}

    seen: list[tuple[str, bool]] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        reply = await client.get("/lit-compute/jobs", params=params, headers=auth)
        assert reply.status_code == 200, reply.text
        assert reply.headers["X-Total-Count"] == "3"
        seen += [(j["jobId"], j["archived"]) for j in reply.json()]
        if "X-Next-Cursor" not in reply.headers:
            break
        params = {"limit": 2, "cursor": reply.headers["X-Next-Cursor"]}
    assert seen[0] == (made[2], False) and sorted(seen[1:]) == sorted(
        [(made[0], True), (made[1], True)]
    )

    reply = await client.get("/lit-compute/jobs", params={"archived": "true"}, headers=auth)
    assert {j["jobId"] for j in reply.json()} == set(made[:2])
    assert reply.headers["X-Total-Count"] == "2"
    for bad in ({"cursor": "arch.1.x'--"}, {"cursor": "live.0", "offset": 1}):
        reply = await client.get("/lit-compute/jobs", params=bad, headers=auth)
        assert reply.status_code == 400 and error_of(reply)["message"].endswith(".")
