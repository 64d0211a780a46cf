"""A node to take offline (silent past the grace: the orchestrator's sweep) and bring back (a
heartbeat) at will: the item that flaps in real networks."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from core import registry
from core.store import Store
from tests.helpers import register_node


@dataclass
class FlappingNode:
    store: Store
    node_id: str

    async def offline(self) -> None:
        """Silent past a grace of 0: the sweep marks it offline."""
        assert await registry.sweep_silent(self.store, 0) == 1

    async def online(self) -> None:
        await registry.heartbeat(self.store, self.node_id)


@pytest.fixture
async def node(store: Store) -> FlappingNode:
    registered = await register_node(store)
    return FlappingNode(store, registered.node_id)


def wall_ms() -> int:
    """A starting point for a test's own clock (the duty is told the time; it never reads it)."""
    return int(time.time() * 1000)
