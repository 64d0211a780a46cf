"""Transfer reversals from Stripe's `transfer.reversed` webhook, booked once per reversal id.

A reversal pulls money back from a node's connected account into our Stripe balance. Each one
listed on the transfer (`reversals.data`: partial reversals too) is booked world → `reversed`
against its payout (book_transfer_reversal.lua): the money is ours again, but it is not the
node's earnings (it is not paid out again by itself) nor platform revenue until an operator
decides. Every reversal's id and amount, and their sum against the transfer, are checked
before the first is written.
"""

from __future__ import annotations

import re
from typing import Any

from core.payments import outbox
from core.payments.amounts import StripeObjectRefused, stripe_cents
from core.store import Store, calls

REVERSAL_ID_RE = re.compile(r"trr_[A-Za-z0-9_]{1,200}")
TRANSFER_ID_RE = re.compile(r"tr_[A-Za-z0-9_]{1,200}")


def listed(obj: dict[str, Any]) -> list[tuple[str, int]]:
    """(reversal id, cents) of each reversal the transfer lists, checked."""
    transfer_cents = stripe_cents(obj, "amount", positive=True)
    block = obj.get("reversals") or {}
    data = block.get("data") if isinstance(block, dict) else None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise StripeObjectRefused("The transfer's reversals are not a list of reversal objects.")
    found = []
    for item in data:
        rid = item.get("id")
        if not isinstance(rid, str) or not REVERSAL_ID_RE.fullmatch(rid):
            raise StripeObjectRefused("A transfer reversal's id is not a Stripe reversal id.")
        found.append((rid, stripe_cents(item, "amount", positive=True)))
    if sum(c for _, c in found) > transfer_cents:
        raise StripeObjectRefused("The transfer's reversals add up to more than the transfer.")
    return found


async def on_transfer_reversed(store: Store, obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise StripeObjectRefused("The transfer's metadata is not an object.")
    payout_id = metadata.get("lcn_payout")
    if metadata.get("lcn_pool") != store.pool or not payout_id:
        return "ignored"
    transfer = obj.get("id")
    if not isinstance(transfer, str) or not TRANSFER_ID_RE.fullmatch(transfer):
        raise StripeObjectRefused("The transfer's id is not a Stripe transfer id.")
    found = listed(obj)
    payout_key = store.keys.payout(str(payout_id))
    archived = await store.redis.sismember(store.keys.money_archived, f"payout:{payout_id}")
    if not archived and not await store.redis.exists(payout_key):
        return "unknown"  # an archived payout is restored by the script that books against it
    now = outbox.now_ms()
    booked = 0
    for rid, cents in found:
        reply = await calls.book_transfer_reversal(store, str(payout_id), rid, cents, transfer, now)
        booked += reply == "booked"
    return f"{booked} reversal(s) booked"
