"""Nodes, their agents and their sign-in sessions."""

from __future__ import annotations

import json
from typing import Any

from core.store.calls.reply import text, whole
from core.store.connection import Store


async def register_node(
    store: Store, node_id: str, nonce: str, address: str, fields: dict[str, Any]
) -> None:
    """Register (or re-register) a node whose signature over `nonce` was checked."""
    keys = store.keys
    await store.script(
        "register_node",
        [keys.node(node_id), keys.nonce(nonce), keys.node_by_address(address)],
        node_id,
        address.lower(),
        json.dumps(fields),
    )


async def node_heartbeat(store: Store, node_id: str) -> str:
    """The node's status after the heartbeat."""
    return text(await store.script("node_heartbeat", [store.keys.node(node_id)]))


async def change_node_status(store: Store, node_id: str, action: str, holder: str) -> str:
    """drain | undrain | offline | online; the node's status after it."""
    return text(
        await store.script("change_node_status", [store.keys.node(node_id)], action, holder)
    )


async def sweep_nodes(store: Store, grace_ms: int, limit: int) -> int:
    """How many silent nodes were marked offline."""
    return whole(await store.script("sweep_nodes", [store.keys.nodes_seen], grace_ms, limit))


async def import_nodes(store: Store, nodes: list[dict[str, Any]]) -> None:
    await store.script("import_nodes", [store.keys.nodes_all], json.dumps(nodes))


async def agent_register(
    store: Store, agent_id: str, node_id: str, specialisations: list[str], models: list[str]
) -> None:
    await store.script(
        "agent_register",
        [store.keys.agent(agent_id)],
        agent_id,
        node_id,
        json.dumps(specialisations),
        json.dumps(models),
    )


async def agent_report(
    store: Store, agent_id: str, state: str, current_job: str, outcome: str
) -> None:
    await store.script("agent_report", [store.keys.agent(agent_id)], state, current_job, outcome)


async def sweep_agents(store: Store, grace_ms: int, limit: int) -> int:
    """How many silent agents were marked stalled."""
    return whole(await store.script("sweep_agents", [store.keys.agents_seen], grace_ms, limit))


async def open_node_session(
    store: Store, nonce: str, address: str, token_digest: str, ttl_ms: int
) -> str:
    """Spend a sign-in nonce and open a session for the node at `address`; the node's id."""
    return text(
        await store.script(
            "open_node_session", [store.keys.signin_nonce(nonce)], address, token_digest, ttl_ms
        )
    )
