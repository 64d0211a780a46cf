"""Turning a script's raw reply (str, int, bytes or a list of them) into a Python value."""

from __future__ import annotations

from typing import Any


def text(reply: Any) -> str:
    """A reply that is one word or id (bytes from inside a list, str at the top level)."""
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def whole(reply: Any) -> int:
    return int(reply or 0)
