"""Fixtures for the executor tests."""

from __future__ import annotations

import pytest

from core.swarm.executors import Limits


@pytest.fixture
def limits() -> Limits:
    return Limits(timeout_s=20, cpu_seconds=10, memory_mb=256)
