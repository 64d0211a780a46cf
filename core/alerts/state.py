"""Alert states in Redis, so every orchestrator sees the same ones and a restart forgets
nothing: one hash per fingerprint (`alert:<fingerprint>`) and a set of the fingerprints
(`alerts`). Only the orchestrator holding the `alerts` lock writes them (core/alerts/duty.py),
so plain writes in one pipeline do; a reader never sees half a state (one HSET each). A sink
no longer configured leaves its `sent:` field behind, which nothing reads."""

from __future__ import annotations

from typing import Any

from core.alerts.alert import Alert
from core.alerts.machine import AlertState
from core.store import Store

SENT = "sent:"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode(raw: dict[Any, Any]) -> AlertState | None:
    """A state from its hash; None for a hash this version cannot read (it is then rebuilt)."""
    fields = {_text(k): _text(v) for k, v in raw.items()}
    try:
        status = fields["status"]
        if status not in ("pending", "firing", "resolved"):
            return None
        since = fields.get("seen_since", "")
        return AlertState(
            alert=Alert.model_validate_json(fields["alert"]),
            status=status,  # type: ignore[arg-type]  # checked just above
            seen_since=int(since) if since else None,
            fired=int(fields.get("fired", 0)),
            resolved=int(fields.get("resolved", 0)),
            changed=int(fields.get("changed", 0)),
            sent={k.removeprefix(SENT): v for k, v in fields.items() if k.startswith(SENT)},
        )
    except (KeyError, ValueError):
        return None


def encode(state: AlertState) -> dict[str, str]:
    return {
        "alert": state.alert.model_dump_json(),
        "status": state.status,
        "seen_since": "" if state.seen_since is None else str(state.seen_since),
        "fired": str(state.fired),
        "resolved": str(state.resolved),
        "changed": str(state.changed),
        **{SENT + sink: told for sink, told in state.sent.items()},
    }


async def load(store: Store) -> dict[str, AlertState]:
    """Every kept state, by fingerprint (a set member whose hash is gone or unreadable is
    dropped; the next save writes it afresh if the item is still there)."""
    members = [_text(m) for m in await store.redis.smembers(store.keys.alerts)]
    if not members:
        return {}
    async with store.redis.pipeline(transaction=False) as pipe:
        for fp in members:
            pipe.hgetall(store.keys.alert(fp))
        replies: list[Any] = await pipe.execute()
    found: dict[str, AlertState] = {}
    for fp, raw in zip(members, replies, strict=True):
        state = decode(raw) if raw else None
        if state is not None:
            found[fp] = state
    return found


async def save(store: Store, keep: dict[str, AlertState], forget: set[str]) -> None:
    """Write the states in `keep` (every field of a state, in one HSET each, so no reader sees
    half of one) and delete those in `forget`, in one round trip. Not a MULTI: a cluster
    pipeline cannot run one, and only the lock holder writes."""
    if not keep and not forget:
        return
    async with store.redis.pipeline(transaction=False) as pipe:
        for fp, state in keep.items():
            pipe.hset(store.keys.alert(fp), mapping=encode(state))
        if keep:
            pipe.sadd(store.keys.alerts, *keep)
        for fp in forget:
            pipe.delete(store.keys.alert(fp))
        if forget:
            pipe.srem(store.keys.alerts, *forget)
        await pipe.execute()


async def mark_sent(store: Store, told: dict[str, str], sink: str) -> None:
    """Record that `sink` has been told each fingerprint's `episode` (after it answered 2xx)."""
    if not told:
        return
    async with store.redis.pipeline(transaction=False) as pipe:
        for fp, episode in told.items():
            pipe.hset(store.keys.alert(fp), SENT + sink, episode)
        await pipe.execute()
