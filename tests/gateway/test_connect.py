"""`connect()`, the one way a node joins (`lcn node run`, the demo's fleet): over Redis or over
a real gateway it registers the key's node and hands back a working link."""

from __future__ import annotations

import pytest

from core import registry
from core.errors import InvalidInput
from core.identity import new_key
from core.store import Store
from core.swarm.connect import connect
from core.swarm.http_link import HttpLink
from core.swarm.link import RedisLink
from tests.gateway.test_api import REGISTER_BODY

CAPABILITIES = REGISTER_BODY["capabilities"]
LOCATION = REGISTER_BODY["location"]
PRICING = {"cpuPerSecond": "0.001234", "memoryPerGB": "0.047"}


async def test_connect_over_redis(store: Store) -> None:
    key = new_key()
    node, link = await connect(
        key, capabilities=CAPABILITIES, location=LOCATION, pricing=PRICING, store=store
    )
    assert isinstance(link, RedisLink) and link.node_id == node.node_id
    assert node.pkp_address == key.address and str(node.pricing.cpu_per_second) == "0.001234"
    assert await link.node_heartbeat() == "active"
    await link.close()


async def test_connect_over_a_gateway(live_url: str, store: Store) -> None:
    key = new_key()
    node, link = await connect(
        key, capabilities=CAPABILITIES, location=LOCATION, pricing=PRICING, gateway_url=live_url
    )
    assert isinstance(link, HttpLink) and link.node_id == node.node_id
    stored = await registry.get_node(store, node.node_id)
    assert stored.pkp_address == key.address and str(stored.pricing.cpu_per_second) == "0.001234"
    assert str(stored.pricing.memory_per_gb) == "0.047"
    assert await link.node_heartbeat() == "active"
    await link.close()


async def test_connect_needs_a_gateway_or_a_store() -> None:
    with pytest.raises(InvalidInput):
        await connect(new_key(), capabilities=CAPABILITIES, location=LOCATION)
