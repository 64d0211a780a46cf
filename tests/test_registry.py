from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from pydantic import ValidationError

from core import registry
from core.errors import AuthError, Conflict, InvalidInput, NotFound
from core.identity import challenge_message, new_key
from core.store import Store
from tests.helpers import register_body, register_node


async def key_count(store: Store) -> int:
    return len([k async for k in store.redis.scan_iter(match=store.keys.prefix + "*")])


async def test_register_gives_cid_id_active_status_and_full_reputation(store: Store) -> None:
    node = await register_node(store)
    assert node.node_id.startswith("bafyrei")
    assert node.status == "active"
    assert node.reputation == 100
    assert node.pricing.cpu_per_second == Decimal("0.001")
    assert node.wire()["pricing"]["cpuPerSecond"] == 0.001
    listed, total = await registry.list_nodes(store)
    assert total == 1 and listed[0].node_id == node.node_id
    assert node.wire()["pkpAddress"] == node.pkp_address


async def test_reregistering_the_same_key_reattaches(store: Store) -> None:
    key = new_key()
    first = await register_node(store, key)
    second = await register_node(store, key, capabilities={"cpu": 16})
    assert first.node_id == second.node_id
    assert second.capabilities.cpu == 16
    assert (await registry.list_nodes(store))[1] == 1


async def test_replayed_challenge_is_refused(store: Store) -> None:
    key = new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    await registry.register(store, register_body(key, challenge))
    with pytest.raises(Conflict, match="already used"):
        await registry.register(store, register_body(key, challenge))


async def test_expired_challenge_is_refused_and_writes_nothing(store: Store) -> None:
    key = new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    await store.redis.delete(store.keys.nonce(challenge.nonce))  # what expiry does
    before = await key_count(store)
    with pytest.raises(Conflict, match="expired"):
        await registry.register(store, register_body(key, challenge))
    assert await key_count(store) == before


async def test_nonce_really_expires(store: Store) -> None:
    key = new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    ttl = await store.redis.ttl(store.keys.nonce(challenge.nonce))
    assert 0 < ttl <= 60


async def test_forged_signature_is_refused(store: Store) -> None:
    key, forger = new_key(), new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    body = register_body(key, challenge, signature=forger.sign(challenge.message))
    before = await key_count(store)
    with pytest.raises(AuthError, match="not made by the key"):
        await registry.register(store, body)
    assert await key_count(store) == before


async def test_public_key_of_another_address_is_refused(store: Store) -> None:
    key, other = new_key(), new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    body = register_body(key, challenge, publicKey=other.public_key)
    with pytest.raises(AuthError, match="public key does not belong"):
        await registry.register(store, body)
    assert (await registry.list_nodes(store))[1] == 0


async def test_challenge_of_another_address_is_refused(store: Store) -> None:
    key, other = new_key(), new_key()
    challenge = await registry.issue_challenge(store, other.address, ttl_s=60)
    # Signed correctly by `key` over a message naming `key`, but the nonce was issued to `other`.
    message = challenge_message(address=key.address, nonce=challenge.nonce, pool=store.pool)
    body = register_body(key, challenge, signature=key.sign(message))
    with pytest.raises(Conflict, match="another address"):
        await registry.register(store, body)


@pytest.mark.parametrize(
    ("signature", "error"),
    [("0xzz", "not hex"), ("0x" + "11" * 10, "65 bytes"), ("0x" + "00" * 65, "malformed")],
)
async def test_malformed_signature_is_refused(store: Store, signature: str, error: str) -> None:
    key = new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    before = await key_count(store)
    with pytest.raises(InvalidInput, match=error):
        await registry.register(store, register_body(key, challenge, signature=signature))
    assert await key_count(store) == before


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"capabilities": {"cpu": -1}}, "cpu"),
        ({"capabilities": {"cpu": 100000}}, "cpu"),
        ({"capabilities": {"memory": 0}}, "memory"),
        ({"capabilities": {"runtimes": ["cobol"]}}, "unknown runtime"),
        ({"location": {"lat": 91}}, "lat"),
        ({"location": {"lon": -181}}, "lon"),
        ({"location": {"region": "Not A Region!"}}, "region"),
        ({"pricing": {"cpuPerSecond": -0.1}}, "cpuPerSecond"),
        ({"surprise": 1}, "surprise"),
        ({"pkpAddress": "0x1234"}, "pkpAddress"),
    ],
)
def test_bad_registration_bodies_are_refused(override: dict[str, object], error: str) -> None:
    from core.registry import Challenge

    key = new_key()
    challenge = Challenge(pkp_address=key.address, nonce="n" * 32, message="m", expires_at=0)
    with pytest.raises(ValidationError, match=error):
        register_body(key, challenge, **override)


async def test_drain_undrain_offline_and_refusals(store: Store) -> None:
    node = await register_node(store)
    assert await registry.change_status(store, node.node_id, "drain") == "draining"
    with pytest.raises(Conflict, match="already draining"):
        await registry.change_status(store, node.node_id, "drain")
    assert await registry.change_status(store, node.node_id, "undrain") == "active"
    with pytest.raises(Conflict, match="not draining"):
        await registry.change_status(store, node.node_id, "undrain")
    assert await registry.change_status(store, node.node_id, "offline") == "offline"
    ids, total = await registry.list_node_ids(store, status="offline")
    assert ids == [node.node_id] and total == 1
    assert await registry.heartbeat(store, node.node_id) == "active"


async def test_an_operators_offline_outlasts_heartbeats_until_lifted(store: Store) -> None:
    from core import actions, events

    node = await register_node(store)
    assert await actions.node_action(store, "ana", "offline", node.node_id) == "offline"
    for _ in range(3):
        assert await registry.heartbeat(store, node.node_id) == "offline"
    assert (await registry.get_node(store, node.node_id)).status == "offline"
    other = await register_node(store)
    with pytest.raises(Conflict, match="active, not offline"):
        await actions.node_action(store, "ana", "online", other.node_id)
    assert await actions.node_action(store, "ana", "online", node.node_id) == "active"
    assert await registry.heartbeat(store, node.node_id) == "active"
    trail = [(e["action"], e["operator"], e["outcome"]) for e in await events.recent_audit(store)]
    assert ("node.offline", "ana", "ok") in trail and ("node.online", "ana", "ok") in trail
    assert ("node.online", "ana", "refused") in trail


async def test_a_held_node_stays_offline_when_it_registers_again(store: Store) -> None:
    from core import actions

    key = new_key()
    node = await register_node(store, key)
    await actions.node_action(store, "ana", "offline", node.node_id)
    again = await register_node(store, key)
    assert again.node_id == node.node_id and again.status == "offline"


async def test_unknown_and_malformed_node_ids(store: Store) -> None:
    with pytest.raises(InvalidInput, match="not a valid CID"):
        await registry.get_node(store, "nope")
    missing = registry.node_id_for("0x" + "1" * 40, "0x04" + "2" * 128)
    with pytest.raises(NotFound):
        await registry.get_node(store, missing)
    with pytest.raises(InvalidInput, match="Unknown node status"):
        await registry.list_nodes(store, status="sleeping")


async def test_silent_nodes_are_swept_offline(store: Store) -> None:
    quiet, chatty = await register_node(store), await register_node(store)
    await asyncio.sleep(0.05)
    await registry.heartbeat(store, chatty.node_id)
    # With a zero grace period, anything not seen in this very millisecond is silent; push the
    # chatty node's last-seen into the future instead of sleeping past a real grace period.
    await store.redis.zadd(store.keys.nodes_seen, {chatty.node_id: 10**13})
    assert await registry.sweep_silent(store, grace_s=0) == 1
    assert (await registry.get_node(store, quiet.node_id)).status == "offline"
    assert (await registry.get_node(store, chatty.node_id)).status == "active"
