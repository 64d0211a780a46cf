"""Forged ledger postings, written the way issue 10's attacker wrote them: raw Redis commands on
the pool's journal, balances and idempotency keys (and the node's earnings counter, so the old
earnings check is fooled too), never through an lcn script."""

from __future__ import annotations

import json
from typing import Any

from core.store import Store

FIVE_THOUSAND_USD = 5_000 * 1_000_000


async def forge(
    store: Store,
    idem: str,
    kind: str,
    ref: str,
    legs: list[tuple[str, str, int, str]],
    *,
    raw_legs: Any = None,
) -> str:
    """Write one balanced journal entry by hand; its journal (stream) id."""
    p = store.keys.prefix
    r = store.redis
    await r.hsetnx(p + "ledger:idem", idem, "1")
    for source, target, amount, leg_kind in legs:
        await r.hincrby(p + "ledger:balances", source, -amount)
        await r.hincrby(p + "ledger:balances", target, amount)
        if leg_kind == "earn" and target.startswith("node:"):
            await r.hincrby(p + "node:" + target[5:], "earnings", amount)
    entry_id = await r.xadd(
        p + "ledger:journal",
        {
            "idem": idem,
            "kind": kind,
            "ref": ref,
            "legs": raw_legs if raw_legs is not None else json.dumps([list(leg) for leg in legs]),
        },
    )
    return str(entry_id.decode())


async def mint_five_thousand(store: Store, node_id: str, creator: str) -> tuple[str, str]:
    """The attack: $5,000 of node earnings and $5,000 of creator credit out of thin air, in two
    entries that each balance. Their journal ids."""
    earned = await forge(
        store,
        f"settle:bonus-{node_id[-8:]}:0",
        "settle",
        "bonus",
        [("world", f"node:{node_id}", FIVE_THOUSAND_USD, "earn")],
    )
    credited = await forge(
        store,
        "purchase:gift",
        "credit",
        "gift",
        [("world", f"creator:{creator}", FIVE_THOUSAND_USD, "credit")],
    )
    return earned, credited
