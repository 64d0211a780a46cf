"""Builders for test data: real keys, real signatures, real registrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core import registry
from core.config import Settings
from core.identity import NodeKey, new_key
from core.models.node import Node, RegisterNode
from core.store import Store


def register_body(key: NodeKey, challenge: registry.Challenge, **overrides: Any) -> RegisterNode:
    body: dict[str, Any] = {
        "pkpAddress": key.address,
        "publicKey": key.public_key,
        "capabilities": {
            "cpu": 8,
            "memory": 32,
            "gpu": False,
            "storage": 500,
            "runtimes": ["python", "javascript"],
        },
        "location": {"region": "us-east-1", "lat": 40.7128, "lon": -74.006},
        "nonce": challenge.nonce,
        "signature": key.sign(challenge.message),
    }
    for name, value in overrides.items():
        if isinstance(value, dict) and isinstance(body.get(name), dict):
            body[name] = {**body[name], **value}
        else:
            body[name] = value
    return RegisterNode.model_validate(body)


async def register_node(store: Store, key: NodeKey | None = None, **overrides: Any) -> Node:
    key = key or new_key()
    challenge = await registry.issue_challenge(store, key.address, ttl_s=60)
    return await registry.register(store, register_body(key, challenge, **overrides))


def shared_sqlite_archive(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Settings whose archive is one SQLite file, shared by the test's own connections, a
    gateway it starts and `lcn` run in-process (through LCN_ARCHIVE_URL)."""
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    monkeypatch.setenv("LCN_ARCHIVE_URL", url)
    return settings.model_copy(update={"archive_url": url})
