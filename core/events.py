"""The events stream (every state change, written by the scripts) and the audit stream
(every operator action: who, what, when, outcome)."""

from __future__ import annotations

import time
from typing import Any

from core.store import Store

AUDIT_MAXLEN = 100_000


async def audit(
    store: Store, *, operator: str, action: str, target: str, outcome: str, detail: str = ""
) -> None:
    await store.redis.xadd(
        store.keys.audit,
        {
            "operator": operator,
            "action": action,
            "target": target,
            "outcome": outcome,
            "detail": detail,
            "at": int(time.time() * 1000),
        },
        maxlen=AUDIT_MAXLEN,
        approximate=True,
    )


def _decode(entries: list[Any]) -> list[dict[str, str]]:
    out = []
    for entry_id, fields in entries:
        row = {k.decode(): v.decode() for k, v in fields.items()}
        row["id"] = entry_id.decode()
        out.append(row)
    return out


async def recent_events(store: Store, count: int = 50) -> list[dict[str, str]]:
    return _decode(await store.redis.xrevrange(store.keys.events, count=count))


async def recent_audit(store: Store, count: int = 50) -> list[dict[str, str]]:
    return _decode(await store.redis.xrevrange(store.keys.audit, count=count))
