"""Refused credentials count against the caller's address, X-Forwarded-For is believed only
from the proxies the operator names, and /metrics needs the metrics token or an operator key."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from core import apikeys
from core.config import Settings
from core.gateway import GatewaySettings, create_app
from core.gateway.client_address import client_address
from core.identity import new_key
from core.store import Store
from tests.gateway.conftest import SignedInNode
from tests.gateway.live import gateway_process
from tests.gateway.test_api import SUBMIT_BODY, error_of, register_over_http, try_register
from tests.redis_servers import free_port

SUBMIT = "/lit-compute/jobs/submit"
METRICS_TOKEN = "metrics-token-" + "x" * 20
Clients = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def clients(settings: Settings, store: Store) -> Clients:
    """A gateway with `limits` on the test pool, reached from the address `ip`."""

    @asynccontextmanager
    async def open_client(
        ip: str = "203.0.113.7", **limits: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings, GatewaySettings(**limits), store=store)
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client

    return open_client


async def test_guessing_credentials_gets_429_even_for_a_right_guess(
    clients: Clients, store: Store, node_a: SignedInNode
) -> None:
    _, good_key = await apikeys.create(store, "good")
    key = new_key()
    async with clients(auth_failure_limit=3) as client:
        challenge_reply = await client.post(
            "/lit-compute/nodes/sessions/challenge", json={"pkpAddress": key.address}
        )
        challenge = challenge_reply.json()
        wrong = [
            client.post(SUBMIT, json=SUBMIT_BODY, headers={"Authorization": "Bearer lcn_guess"}),
            client.post(
                f"/lit-compute/nodes/{node_a.node_id}/heartbeat",
                headers={"Authorization": "Bearer lcs_guess"},
            ),
            client.post(
                "/lit-compute/nodes/sessions",
                json={
                    "pkpAddress": key.address,
                    "nonce": challenge["nonce"],
                    "signature": new_key().sign(challenge["message"]),
                },
            ),
            client.get("/metrics", headers={"Authorization": "Bearer lcn_guess"}),
        ]
        codes = [(await attempt).status_code for attempt in wrong]
        assert codes == [401, 401, 401, 429]
        right = await client.post(
            SUBMIT, json=SUBMIT_BODY, headers={"Authorization": f"Bearer {good_key}"}
        )
        assert right.status_code == 429
        assert "refused credentials" in error_of(right)["message"]
        assert 1 <= int(right.headers["Retry-After"]) <= 60
        session = await client.post(
            f"/lit-compute/nodes/{node_a.node_id}/heartbeat", headers=node_a.auth
        )
        assert session.status_code == 429
    # Another address is not punished for it.
    async with clients(ip="198.51.100.1", auth_failure_limit=3) as other:
        auth = {"Authorization": f"Bearer {good_key}"}
        ok = await other.post(SUBMIT, json=SUBMIT_BODY, headers=auth)
        assert ok.status_code == 200, ok.text


async def test_a_refusal_of_authenticated_callers_is_not_a_failed_authentication(
    clients: Clients, store: Store
) -> None:
    _, bound = await apikeys.create(store, "bound", creator="0x" + "cd" * 20)
    async with clients(auth_failure_limit=2) as client:
        for _ in range(4):
            reply = await client.post(
                SUBMIT, json=SUBMIT_BODY, headers={"Authorization": f"Bearer {bound}"}
            )
            assert reply.status_code == 403


async def test_forwarded_for_is_ignored_from_a_peer_nobody_named(clients: Clients) -> None:
    async with clients(rate_limit=3) as client:
        codes = [
            (
                await client.get("/lit-compute/nodes", headers={"X-Forwarded-For": f"10.0.0.{i}"})
            ).status_code
            for i in range(4)
        ]
    assert codes == [200, 200, 200, 429]


async def test_forwarded_for_names_the_client_behind_a_trusted_proxy(clients: Clients) -> None:
    proxy = "10.1.2.3"
    async with clients(ip=proxy, rate_limit=2, trusted_proxies="10.0.0.0/8") as client:

        async def get(forwarded: str) -> int:
            reply = await client.get("/lit-compute/nodes", headers={"X-Forwarded-For": forwarded})
            return reply.status_code

        # Each client behind the proxy has its own budget ...
        assert [await get("192.0.2.1") for _ in range(3)] == [200, 200, 429]
        assert await get("192.0.2.2") == 200
        # ... and cannot pick another by writing its own X-Forwarded-For first: the proxy
        # appends the address it saw, and only that one is believed.
        assert await get("192.0.2.99, 192.0.2.1") == 429


def request_from(peer: str, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_client_address_walks_back_through_trusted_proxies_only() -> None:
    trusted = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))
    assert client_address(request_from("10.0.0.1", "192.0.2.9"), ()) == "10.0.0.1"
    assert client_address(request_from("192.0.2.50", "192.0.2.9"), trusted) == "192.0.2.50"
    chain = request_from("10.0.0.1", "6.6.6.6, 192.0.2.9, 10.9.9.9", "10.0.0.2")
    assert client_address(chain, trusted) == "192.0.2.9"
    assert client_address(request_from("10.0.0.1"), trusted) == "10.0.0.1"
    assert client_address(request_from("10.0.0.1", "10.0.0.5"), trusted) == "10.0.0.5"
    with_ports = request_from("2001:db8::1", "192.0.2.9:5555, [2001:db8::7]:443")
    assert client_address(with_ports, trusted) == "192.0.2.9"
    assert client_address(request_from("::ffff:10.0.0.1", "192.0.2.9"), trusted) == "192.0.2.9"
    # Garbage from the proxy leaves the last address a trusted proxy vouched for.
    assert client_address(request_from("10.0.0.1", "not-an-ip, 10.0.0.7"), trusted) == "10.0.0.7"
    # An IPv6 address whose bits happen to fall in 10/8 as an integer is not in 10/8.
    assert client_address(request_from("::a00:1", "192.0.2.9"), trusted) == "::a00:1"


def test_trusted_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LCN_GATEWAY_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,2001:db8::/32")
    assert [str(n) for n in GatewaySettings().trusted_proxies] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
        "2001:db8::/32",
    ]
    monkeypatch.setenv("LCN_GATEWAY_TRUSTED_PROXIES", "10.0.0.1,proxy.example")
    with pytest.raises(ValueError, match=r"'proxy\.example' is not an IP address or CIDR network"):
        GatewaySettings()


async def test_a_gateway_process_does_not_trust_forwarded_for_from_loopback(
    settings: Settings,
) -> None:
    command = [sys.executable, "-m", "core.gateway"]
    with gateway_process(command, settings, free_port(), env={"LCN_GATEWAY_RATE": "3"}) as gw:
        async with httpx.AsyncClient(base_url=gw.url) as client:
            codes = [
                (
                    await client.get(
                        "/lit-compute/nodes", headers={"X-Forwarded-For": f"192.0.2.{i}"}
                    )
                ).status_code
                for i in range(4)
            ]
    assert codes == [200, 200, 200, 429]


async def test_metrics_need_the_token_or_an_operator_key(clients: Clients, store: Store) -> None:
    _, operator = await apikeys.create(store, "operator")
    _, bound = await apikeys.create(store, "bound", creator="0x" + "cd" * 20)
    expected = {
        None: 401,
        f"Bearer {METRICS_TOKEN}": 200,
        f"Bearer {operator}": 200,
        f"Bearer {bound}": 403,
        f"Bearer {METRICS_TOKEN}x": 401,
        "Bearer lcs_a-node-session": 401,
        f"Basic {METRICS_TOKEN}": 401,
    }
    async with clients(metrics_token=METRICS_TOKEN, auth_failure_limit=100) as client:
        for authorization, status in expected.items():
            headers = {"Authorization": authorization} if authorization else {}
            reply = await client.get("/metrics", headers=headers)
            assert reply.status_code == status, (authorization, reply.text)
            if status == 200:
                assert "lcn_nodes" in reply.text
            else:
                assert error_of(reply)["code"] in ("unauthorized", "forbidden")
    # Without a configured token, only operator keys read metrics.
    async with clients() as client:
        reply = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert reply.status_code == 401
        reply = await client.get("/metrics", headers={"Authorization": f"Bearer {operator}"})
        assert reply.status_code == 200


async def test_node_registrations_from_one_address_are_limited_per_hour(
    clients: Clients, store: Store
) -> None:
    """Keys are free and a node record stays, so registrations have a budget of their own."""
    async with clients(register_limit=3) as client:
        for _ in range(3):
            await register_over_http(client)
        refused = await try_register(client)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 60  # the hour's window, not the minute's
        message = error_of(refused)["message"]
        assert message.startswith("Too many node registrations: 3 per 3600 s are allowed;")
        assert (await client.get("/lit-compute/nodes")).status_code == 200  # other calls go on
    assert await store.redis.zcard(store.keys.nodes_all) == 3
    async with clients(ip="198.51.100.9", register_limit=3) as elsewhere:
        await register_over_http(elsewhere)  # another address has its own budget
