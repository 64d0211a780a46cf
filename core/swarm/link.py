"""How a node's agents reach the network: directly through Redis (`RedisLink`, for nodes
inside the operator's network and the demo) or over HTTP through the gateway (`HttpLink`, in
core/swarm/http_link.py). Agents are written against `NodeLink` only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from core import jobs, registry
from core.store import Store
from core.swarm import roster
from core.wire.leases import ClaimedJob


class NodeLink(Protocol):
    node_id: str

    async def node_heartbeat(self) -> str: ...

    async def register_agent(
        self, agent_id: str, specialisations: list[str], models: list[str]
    ) -> None: ...

    async def agent_report(
        self, agent_id: str, state: str, current_job: str = "", outcome: str = ""
    ) -> None: ...

    async def claim(
        self, agent_id: str, job_types: list[str], lease_s: float
    ) -> ClaimedJob | None: ...

    async def extend(self, job_id: str, token: str, lease_s: float) -> int: ...

    async def append_logs(self, job_id: str, token: str, lines: list[str]) -> int: ...

    async def complete(
        self, job_id: str, token: str, *, duration_ms: int, output: Any, logs: list[str]
    ) -> Mapping[str, Any]: ...

    async def fail(
        self,
        job_id: str,
        token: str,
        *,
        error: str,
        logs: list[str],
        retryable: bool,
        duration_ms: int | None = None,
    ) -> str: ...

    async def hand_back(self, job_id: str, token: str, reason: str) -> str: ...

    async def close(self) -> None: ...


class RedisLink:
    """A node that talks to the pool's Redis itself."""

    def __init__(self, store: Store, node_id: str) -> None:
        self.store = store
        self.node_id = node_id

    async def node_heartbeat(self) -> str:
        return await registry.heartbeat(self.store, self.node_id)

    async def register_agent(
        self, agent_id: str, specialisations: list[str], models: list[str]
    ) -> None:
        await roster.register(self.store, agent_id, self.node_id, specialisations, models)

    async def agent_report(
        self, agent_id: str, state: str, current_job: str = "", outcome: str = ""
    ) -> None:
        await roster.report(self.store, agent_id, state, current_job, outcome)

    async def claim(self, agent_id: str, job_types: list[str], lease_s: float) -> ClaimedJob | None:
        return await jobs.claim(self.store, self.node_id, agent_id, job_types, lease_s)

    async def extend(self, job_id: str, token: str, lease_s: float) -> int:
        return await jobs.extend_lease(self.store, job_id, token, lease_s)

    async def append_logs(self, job_id: str, token: str, lines: list[str]) -> int:
        return await jobs.append_logs(self.store, job_id, token, lines)

    async def complete(
        self, job_id: str, token: str, *, duration_ms: int, output: Any, logs: list[str]
    ) -> Mapping[str, Any]:
        return await jobs.complete(
            self.store, job_id, token, duration_ms=duration_ms, output=output, logs=logs
        )

    async def fail(
        self,
        job_id: str,
        token: str,
        *,
        error: str,
        logs: list[str],
        retryable: bool,
        duration_ms: int | None = None,
    ) -> str:
        return await jobs.fail(
            self.store,
            job_id,
            token,
            error=error,
            logs=logs,
            retryable=retryable,
            duration_ms=duration_ms,
        )

    async def hand_back(self, job_id: str, token: str, reason: str) -> str:
        return await jobs.hand_back(self.store, job_id, token, reason)

    async def close(self) -> None:
        """The store belongs to whoever made the link."""
