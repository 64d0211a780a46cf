"""The node registry: challenge–response registration, heartbeats, status, listing."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from pydantic import Field

from core import jobs
from core.errors import InvalidInput, NotFound
from core.identity import challenge_message, verify_proof
from core.ids import check_cid, record_cid
from core.models.base import WireModel
from core.models.node import (
    NODE_STATUSES,
    Capabilities,
    Location,
    Node,
    Pricing,
    RegisterNode,
)
from core.models.records.node import node_from_hash
from core.money import usd_to_micro
from core.store import Store
from core.store.reads import hashes, zpage

NONCE_BYTES = 16


class Challenge(WireModel):
    pkp_address: str
    nonce: str
    message: str
    expires_at: int = Field(description="Unix time, ms.")


async def issue_challenge(store: Store, address: str, ttl_s: int) -> Challenge:
    """A single-use nonce and the exact text the node must sign to register."""
    from core.models.node import ADDRESS_RE

    if not ADDRESS_RE.fullmatch(address):
        raise InvalidInput("pkpAddress must be 0x followed by 40 hex digits.")
    nonce = secrets.token_hex(NONCE_BYTES)
    await store.redis.set(store.keys.nonce(nonce), f"open:{address.lower()}", ex=ttl_s)
    return Challenge(
        pkp_address=address,
        nonce=nonce,
        message=challenge_message(address=address, nonce=nonce, pool=store.pool),
        expires_at=int(time.time() * 1000) + ttl_s * 1000,
    )


def node_id_for(address: str, public_key: str) -> str:
    """A node's id is the CID of its identity, so re-registering the same key re-attaches."""
    return record_cid({"pkpAddress": address.lower(), "publicKey": public_key.lower()})


def sched_tags(capabilities: Capabilities) -> list[str]:
    """The scheduling indexes a node joins: one per kind of job it can run, and the same with
    `+gpu` when it has a GPU, so a GPU job reads an index of GPU nodes only."""
    kinds = capabilities.job_types
    tags = ["data"] if "data-processing" in kinds else []
    # A node that cannot sandbox strangers' code is never given any (it still runs our own
    # model and data code).
    if "code-execution" in kinds and capabilities.sandbox != "unavailable":
        tags += [f"rt:{r}" for r in capabilities.runtimes]
        if capabilities.network:
            tags += [f"rt:{r}+net" for r in capabilities.runtimes]
    if "model-inference" in kinds:
        tags += [f"model:{m}" for m in capabilities.models]
    if capabilities.gpu:
        tags += [f"{t}+gpu" for t in tags]
    return tags


def node_fields(
    capabilities: Capabilities,
    location: Location,
    pricing: Pricing,
    address: str,
    public_key: str,
) -> dict[str, Any]:
    """A node's static fields as its hash stores them (money in micro-USD)."""
    price_cpu = usd_to_micro(pricing.cpu_per_second)
    price_mem = usd_to_micro(pricing.memory_per_gb)
    return {
        "address": address,
        "public_key": public_key.lower(),
        "cpu": capabilities.cpu,
        "memory_mb": capabilities.memory_mb,
        "memory_gb": str(capabilities.memory),
        "gpu": int(capabilities.gpu),
        "storage_gb": str(capabilities.storage),
        "runtimes": json.dumps(capabilities.runtimes),
        "models": json.dumps(capabilities.models),
        "job_types": json.dumps(capabilities.job_types),
        "network": int(capabilities.network),
        "sandbox": capabilities.sandbox,
        "region": location.region,
        "lat": repr(location.lat),
        "lon": repr(location.lon),
        "price_cpu": price_cpu,
        "price_mem": price_mem,
        "price_storage": usd_to_micro(pricing.storage_per_gb),
        "price_gpu": usd_to_micro(pricing.gpu_per_second),
        # The rate of a 1-cpu, 1-GB job: what placement compares between nodes.
        "rate": price_cpu + price_mem,
        "tags": json.dumps(sched_tags(capabilities)),
    }


async def register(store: Store, body: RegisterNode) -> Node:
    """Verify the challenge signature, then create or re-attach the node in one script."""
    message = challenge_message(address=body.pkp_address, nonce=body.nonce, pool=store.pool)
    address = verify_proof(
        address=body.pkp_address,
        public_key=body.public_key,
        message=message,
        signature=body.signature,
    )
    node_id = node_id_for(address, body.public_key)
    await store.script(
        "register_node",
        [
            store.keys.node(node_id),
            store.keys.nonce(body.nonce),
            store.keys.node_by_address(address),
        ],
        node_id,
        address.lower(),
        json.dumps(
            node_fields(body.capabilities, body.location, body.pricing, address, body.public_key)
        ),
    )
    # Jobs that were waiting for a node like this one are placed now, not at the next tick.
    await jobs.place_pending(store, 100)
    return await get_node(store, node_id)


async def get_node(store: Store, node_id: str) -> Node:
    check_cid(node_id, what="node id")
    raw = await store.redis.hgetall(store.keys.node(node_id))
    if not raw:
        raise NotFound(f"No node {node_id} in pool {store.pool}.")
    return node_from_hash(raw)


def check_status(status: str | None) -> None:
    if status is not None and status not in NODE_STATUSES:
        raise InvalidInput(
            f"Unknown node status {status!r}; use one of {', '.join(NODE_STATUSES)}."
        )


async def list_node_ids(
    store: Store, *, status: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[str], int]:
    """One page of node ids (oldest first) and the total; a status filter reads its own set."""
    check_status(status)
    key = store.keys.nodes_all if status is None else store.keys.nodes_with_status(status)
    return await zpage(store, key, offset, limit, newest_first=False)


async def get_nodes(store: Store, node_ids: list[str]) -> list[Node]:
    rows = await hashes(store, [store.keys.node(n) for n in node_ids])
    return [node_from_hash(raw) for raw in rows if raw]


async def list_nodes(
    store: Store, *, status: str | None = None, offset: int = 0, limit: int = 100
) -> tuple[list[Node], int]:
    ids, total = await list_node_ids(store, status=status, offset=offset, limit=limit)
    return await get_nodes(store, ids), total


async def heartbeat(store: Store, node_id: str) -> str:
    check_cid(node_id, what="node id")
    return str(await store.script("node_heartbeat", [store.keys.node(node_id)]))


async def change_status(
    store: Store, node_id: str, action: str, *, held_by: str | None = None
) -> str:
    """drain | undrain | offline | online; refusals (already draining, unknown node) are one
    sentence. An offline `held_by` an operator outlasts heartbeats until `online` lifts it; one
    without (a node shutting down) ends with the node's next heartbeat."""
    check_cid(node_id, what="node id")
    return str(
        await store.script("change_node_status", [store.keys.node(node_id)], action, held_by or "")
    )


async def sweep_silent(store: Store, grace_s: int, limit: int = 1000) -> int:
    """Mark nodes silent for longer than `grace_s` offline; returns how many were marked."""
    reply = await store.script("sweep_nodes", [store.keys.nodes_seen], grace_s * 1000, limit)
    return int(reply)
