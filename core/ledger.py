"""The double-entry ledger: integer micro-USD, every posting idempotent by key.

Balances live in one hash, every posting in an append-only journal stream. Money only moves
between two accounts at once, so the sum of all balances (the external `world` account
included) is always exactly 0. Job holds and settlements are posted by the job scripts through
the same Lua helper (`post` in lua/include/lib.lua).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from pydantic import Field

from core.errors import InvalidInput
from core.models.base import WireModel
from core.store import Store

WORLD = "world"
PLATFORM = "platform"
ESCROW = "escrow"
MAX_POSTING = 10**13
ACCOUNT_RE = re.compile(
    r"^(world|platform|escrow|payouts|refunds|creator:0x[0-9a-fA-F]{40}|node:[a-z0-9]{10,100})$"
)


def node_account(node_id: str) -> str:
    return f"node:{node_id}"


def creator_account(address: str) -> str:
    return f"creator:{address}"


async def post(
    store: Store,
    from_account: str,
    to_account: str,
    amount: int,
    idem: str,
    kind: str,
    ref: str = "",
) -> bool:
    """Move `amount` micro-USD; False when this idempotency key was already posted."""
    for account in (from_account, to_account):
        if not ACCOUNT_RE.match(account):
            raise InvalidInput(f"{account!r} is not a ledger account.")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_POSTING:
        raise InvalidInput("A posting amount must be a whole number of micro-USD from 0 to 1e13.")
    reply = await store.script(
        "post_transfer", [store.keys.balances], from_account, to_account, amount, idem, kind, ref
    )
    return bool(reply)


async def balances(store: Store) -> dict[str, int]:
    raw = await store.redis.hgetall(store.keys.balances)
    return {k.decode(): int(v) for k, v in raw.items()}


async def balance(store: Store, account: str) -> int:
    value = await store.redis.hget(store.keys.balances, account)
    return int(value or 0)


def journal_legs(fields: dict[bytes, bytes]) -> list[tuple[str, str, int, str]]:
    """The legs of one journal entry: (from, to, micro-USD, kind)."""
    legs = json.loads(fields[b"legs"])
    return [(str(a), str(b), int(amount), str(kind)) for a, b, amount, kind in legs]


class LedgerCheck(WireModel):
    balanced: bool
    total: int = Field(description="Sum of all balances, micro-USD; 0 when balanced.")
    accounts: int
    postings: int
    journal_matches_balances: bool
    earnings_mismatches: list[dict[str, Any]]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


async def check(store: Store, *, chunk: int = 5000) -> LedgerCheck:
    """Verify the invariant, replay the journal against the balances, and compare every node's
    recorded earnings with what the journal paid it."""
    current = await balances(store)
    replayed: dict[str, int] = defaultdict(int)
    earned: dict[str, int] = defaultdict(int)
    postings = 0
    start = "-"
    while True:
        batch = await store.redis.xrange(store.keys.journal, min=start, count=chunk)
        for entry_id, fields in batch:
            for source, target, amount, kind in journal_legs(fields):
                replayed[source] -= amount
                replayed[target] += amount
                if kind == "earn" and target.startswith("node:"):
                    earned[target[5:]] += amount
            postings += 1
            start = "(" + entry_id.decode()
        if len(batch) < chunk:
            break
    problems: list[str] = []
    total = sum(current.values())
    if total != 0:
        problems.append(f"The balances sum to {total} micro-USD instead of 0.")
    differing = {a for a in set(current) | set(replayed) if current.get(a, 0) != replayed.get(a, 0)}
    if differing:
        problems.append(
            f"{len(differing)} account balances differ from the journal, "
            f"e.g. {sorted(differing)[0]}."
        )
    mismatches = await _earnings_mismatches(store, earned)
    if mismatches:
        problems.append(f"{len(mismatches)} nodes' recorded earnings differ from the ledger.")
    return LedgerCheck(
        balanced=total == 0,
        total=total,
        accounts=len(current),
        postings=postings,
        journal_matches_balances=not differing,
        earnings_mismatches=mismatches,
        problems=problems,
    )


async def _earnings_mismatches(store: Store, earned: dict[str, int]) -> list[dict[str, Any]]:
    mismatches: list[dict[str, Any]] = []
    cursor = 0
    while True:
        cursor, members = await store.redis.zscan(store.keys.nodes_all, cursor, count=1000)
        ids = [m.decode() for m, _ in members]
        async with store.redis.pipeline(transaction=False) as pipe:
            for node_id in ids:
                pipe.hget(store.keys.node(node_id), "earnings")
            recorded = await pipe.execute()
        for node_id, value in zip(ids, recorded, strict=True):
            have = int(value or 0)
            if have != earned.get(node_id, 0):
                mismatches.append(
                    {"nodeId": node_id, "recorded": have, "ledger": earned.get(node_id, 0)}
                )
        if cursor == 0:
            break
    return mismatches
