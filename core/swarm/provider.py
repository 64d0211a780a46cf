"""Bringing a node up from its key: register (or re-attach) by challenge–response over
Redis, with what this machine can really run."""

from __future__ import annotations

import os
from decimal import Decimal

from core import registry
from core.identity import NodeKey
from core.models.node import Node, RegisterNode
from core.store import Store
from core.swarm.executors import available_models, available_runtimes
from core.swarm.executors.policy import NodeSandbox, SandboxPolicy


def machine_memory_gb() -> Decimal:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return Decimal(int(line.split()[1]) // (1024 * 1024) or 1)
    except OSError:
        pass
    return Decimal(4)


def capabilities_for(
    specialisations: list[str],
    *,
    cpu: int | None,
    memory_gb: Decimal | None,
    gpu: bool,
    sandbox: NodeSandbox | None = None,
) -> dict[str, object]:
    """Advertise only what the agents can do here: no Node.js, no `javascript` runtime; no
    sandbox, no code jobs (the registry leaves such a node out of the runtime indexes)."""
    sandbox = sandbox or NodeSandbox(SandboxPolicy(), "bubblewrap", None)
    return {
        "sandbox": sandbox.mode,
        "network": sandbox.policy.allow_network,
        "cpu": cpu or os.cpu_count() or 1,
        "memory": str(memory_gb or machine_memory_gb()),  # JSON-safe, exact
        "gpu": gpu,
        "runtimes": sorted(available_runtimes()),
        "models": sorted(available_models()) if "model-inference" in specialisations else [],
        "jobTypes": specialisations,
    }


async def register_key(
    store: Store,
    key: NodeKey,
    *,
    capabilities: dict[str, object],
    location: dict[str, object],
    pricing: dict[str, object] | None = None,
    nonce_ttl_s: int = 120,
) -> Node:
    challenge = await registry.issue_challenge(store, key.address, nonce_ttl_s)
    body: dict[str, object] = {
        "pkpAddress": key.address,
        "publicKey": key.public_key,
        "capabilities": capabilities,
        "location": location,
        "nonce": challenge.nonce,
        "signature": key.sign(challenge.message),
    }
    if pricing:
        body["pricing"] = pricing
    return await registry.register(store, RegisterNode.model_validate(body))
