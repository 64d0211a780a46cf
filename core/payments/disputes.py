"""Disputes (chargebacks) from Stripe's webhooks, booked once per Stripe dispute id.

`charge.dispute.created`: Stripe withdrew the disputed amount and its dispute fee from our
balance (the dispute's withdrawal balance transaction states the fee). The amount is held in the
`disputes` account, taken from the creator's credit as far as it is still there (from `suspense`
for a payment never credited; the platform's for a sale) and the rest from the platform; the fee
goes platform → `stripe_fees` (open_dispute.lua). `charge.dispute.closed` `lost`: the money went
to the cardholder (disputes → world), and the loss stays where it was taken; `won`: Stripe
reinstated the amount, which goes back where it came from, with any fee Stripe returned
(close_dispute.lua). An inquiry (`warning_…`) moves no money and books nothing.

Every amount is checked (JSON integers of cents, in range) before anything is written.
"""

from __future__ import annotations

import re
from typing import Any

from core.payments import outbox
from core.payments.amounts import MAX_CENTS, StripeObjectRefused, stripe_cents
from core.store import Store, calls

DISPUTE_ID_RE = re.compile(r"(du|dp)_[A-Za-z0-9_]{1,200}")
CLOSED = ("won", "lost")


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _signed_cents(txn: dict[str, Any], name: str) -> int:
    value = txn.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_CENTS:
        raise StripeObjectRefused(
            f"The dispute's balance transaction {name} {value!r} is not a whole number of cents."
        )
    return value


def fees(obj: dict[str, Any]) -> tuple[int, int]:
    """(fee withdrawn, fee returned) in cents, from the dispute's balance transactions: the
    withdrawal (amount < 0) carries the dispute fee; a reinstatement (amount > 0) may carry
    a negative fee when Stripe returns it."""
    txns = obj.get("balance_transactions") or []
    if not isinstance(txns, list) or not all(isinstance(t, dict) for t in txns):
        raise StripeObjectRefused("The dispute's balance_transactions is not a list of objects.")
    taken = returned = 0
    for txn in txns:
        amount, fee = _signed_cents(txn, "amount"), _signed_cents(txn, "fee")
        if fee == 0:
            continue
        if amount < 0 and fee > 0:
            taken += fee
        elif amount > 0 and fee < 0:
            returned += -fee
        else:
            raise StripeObjectRefused("A dispute balance transaction's fee has the wrong sign.")
    if returned > taken:
        raise StripeObjectRefused("Stripe cannot return more of a dispute fee than it took.")
    return taken, returned


async def on_dispute(store: Store, obj: dict[str, Any]) -> str:
    """A dispute object from charge.dispute.created / charge.dispute.closed."""
    du = obj.get("id")
    if not isinstance(du, str) or not DISPUTE_ID_RE.fullmatch(du):
        raise StripeObjectRefused("The dispute's id is not a Stripe dispute id.")
    cents = stripe_cents(obj, "amount", positive=True)
    taken, returned = fees(obj)
    status = str(obj.get("status") or "")
    if status.startswith("warning_"):
        return "ignored"  # an inquiry: no money was withdrawn
    intent = _id(obj.get("payment_intent"))
    if not intent:
        return "ignored"
    purchase_id = await store.redis.hget(store.keys.purchase_by_payment_intent, intent)
    if purchase_id is None:
        return "ignored"  # not a payment of this pool
    pid = purchase_id.decode()
    now = outbox.now_ms()
    opened = await calls.open_dispute(store, pid, du, cents, taken, _id(obj.get("charge")), now)
    if status not in CLOSED:
        return opened
    # A closed event may be the first we see: the open above books what was withdrawn first.
    return await calls.close_dispute(store, du, status, returned, now)
