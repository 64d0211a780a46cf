"""The ledger: postings, reversals, and the signed checkpoint of its check."""

from __future__ import annotations

from typing import NamedTuple, TypedDict

from core.store.calls.reply import text
from core.store.connection import Store


async def post_transfer(
    store: Store, from_account: str, to_account: str, amount: int, idem: str, kind: str, ref: str
) -> bool:
    """Whether the posting was booked (False: its idempotency key was booked before)."""
    reply = await store.script(
        "post_transfer", [store.keys.balances], from_account, to_account, amount, idem, kind, ref
    )
    return bool(reply)


class ReversalReply(TypedDict):
    postingId: str
    reversalId: str
    legs: int


async def reverse_posting(store: Store, posting_id: str) -> ReversalReply:
    reply: ReversalReply = await store.script("reverse_posting", [store.keys.balances], posting_id)
    return reply


class EarningsNow(NamedTuple):
    """The journal's last id and the nodes' `earnings` counters, read at one instant."""

    last_id: str
    counters: list[int]


async def ledger_earnings(store: Store, node_ids: list[str]) -> EarningsNow:
    later, counters = await store.script("ledger_earnings", [store.keys.balances], *node_ids)
    return EarningsNow(text(later), [int(value or 0) for value in counters])


class LedgerSnapshot(NamedTuple):
    """The balances at the journal's last id, with the last checkpoint (b'' and '' if none)."""

    last_id: str
    balances: dict[str, int]
    body: bytes
    sig: str
    seen_count: int


async def ledger_snapshot(store: Store) -> LedgerSnapshot:
    keys = store.keys
    last, flat, body, sig, seen = await store.script(
        "ledger_snapshot", [keys.balances, keys.ledger_checkpoint, keys.ledger_checkpoint_seen]
    )
    pairs = iter(flat)
    return LedgerSnapshot(
        last_id=text(last),
        balances={k.decode(): int(v) for k, v in zip(pairs, pairs, strict=True)},
        body=body if isinstance(body, bytes) else str(body).encode(),
        sig=text(sig),
        seen_count=int(seen),
    )


async def ledger_checkpoint(
    store: Store,
    base_sig: str,
    body: bytes,
    sig: str,
    seq: int,
    seen: int,
    mode: str,
    tags: list[bytes],
    *,
    fresh: str | None = None,
    pruned: list[bytes] | None = None,
    consumed: int = 0,
) -> None:
    """Save a signed checkpoint: mode 'add' adds `tags` to the seen set and removes `pruned`
    (each must be there); mode 'swap' makes the set `fresh` (store.keys.ledger_checkpoint_next)
    the seen set. Either way the first `consumed` entries of the prune list go."""
    keys = [
        store.keys.ledger_checkpoint,
        store.keys.ledger_checkpoint_seen,
        store.keys.ledger_checkpoint_prune,
    ]
    if fresh is not None:
        keys.append(fresh)
    await store.script(
        "ledger_checkpoint",
        keys,
        base_sig,
        body,
        sig,
        seq,
        seen,
        mode,
        consumed,
        len(tags),
        *tags,
        *(pruned or []),
    )
