"""Gateway fixtures: the app on the test pool (in-process through httpx's ASGI transport, or
served by a real uvicorn), an API key, and a registered node with its session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from core import apikeys
from core.config import Settings
from core.gateway import GatewaySettings, create_app
from core.identity import NodeKey, new_key
from core.store import Store
from tests.gateway.live import serving
from tests.helpers import register_node


@pytest.fixture
def limits() -> GatewaySettings:
    return GatewaySettings(rate_limit=100_000, node_rate_limit=100_000)


@pytest.fixture
def app(settings: Settings, store: Store, limits: GatewaySettings) -> FastAPI:
    return create_app(settings, limits, store=store)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
        yield c


@pytest.fixture
async def api_key(store: Store) -> str:
    _, secret = await apikeys.create(store, "tests")
    return secret


@pytest.fixture
def live_url(settings: Settings, limits: GatewaySettings) -> Iterator[str]:
    """A real uvicorn serving the test pool, with its own Redis connection."""
    with serving(create_app(settings, limits)) as url:
        yield url


@dataclass
class SignedInNode:
    key: NodeKey
    node_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_in(client: httpx.AsyncClient, key: NodeKey) -> str:
    challenge = await client.post(
        "/lit-compute/nodes/sessions/challenge", json={"pkpAddress": key.address}
    )
    assert challenge.status_code == 200, challenge.text
    body = challenge.json()
    session = await client.post(
        "/lit-compute/nodes/sessions",
        json={
            "pkpAddress": key.address,
            "nonce": body["nonce"],
            "signature": key.sign(body["message"]),
        },
    )
    assert session.status_code == 201, session.text
    return str(session.json()["token"])


async def node_with_session(store: Store, client: httpx.AsyncClient) -> SignedInNode:
    key = new_key()
    node = await register_node(store, key)
    return SignedInNode(key=key, node_id=node.node_id, token=await sign_in(client, key))


@pytest.fixture
async def node_a(store: Store, client: httpx.AsyncClient) -> SignedInNode:
    return await node_with_session(store, client)


@pytest.fixture
async def node_b(store: Store, client: httpx.AsyncClient) -> SignedInNode:
    return await node_with_session(store, client)
