"""Reconciliation: our ledger and records against Stripe's transfers, charges and refunds.

Every disagreement is listed with the record and the Stripe object it concerns, and so is every
ledger posting whose source the books check cannot prove (core/provenance.py). Payment
records are matched through the metadata we put on every Stripe object (`lcn_pool`,
`lcn_payout`, `lcn_purchase`, `lcn_refund`; a PaymentIntent's metadata is copied to its
charge), so several pools, or other business, can share one Stripe account.

Cash: what our books say we hold at Stripe is minus the `world` account (money that came in
less money that went out) less `stripe_fees` (Stripe kept them) and `disputes` (Stripe holds
them). Stripe's balance (`GET /v1/balance`, available plus pending) must equal it plus any money
on the account that is not this pool's (`other_cents`); when that is not known (an account
shared with other business), it must at least cover it. And `world` never goes positive: more
cannot have left than came in.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import Field

from core import ledger
from core.archive.models import MoneyKind
from core.models.base import WireModel
from core.models.records.dispute import DisputeRecord
from core.models.records.fields import RawHash
from core.models.records.payout import PayoutRecord
from core.models.records.purchase import PurchaseRecord
from core.models.records.refund import RefundRecord
from core.money import format_usd
from core.payments import archived, fees
from core.payments.cents import MICRO_PER_CENT, to_micro
from core.payments.client import Payments, as_dict, call, require
from core.payments.reconcile_checks import (
    Charge,
    Mismatch,
    StripeRefund,
    Transfer,
    books_mismatch,
    compare_payouts,
    compare_purchases,
    compare_refunds,
    metadata,
)
from core.store import Store
from core.store.keys import Keys
from core.store.reads import hashes

DEFAULT_WINDOW_DAYS = 90
PAGE = 100


class ReconcileReport(WireModel):
    since: int = Field(description="Unix seconds: records created since then were compared.")
    payouts: int
    purchases: int
    refunds: int
    transfers: int
    charges: int
    stripe_refunds: int
    stripe_balance_cents: int = Field(description="Stripe's balance: available plus pending.")
    ledger_cash_cents: int = Field(description="What our books say we hold at Stripe.")
    mismatches: list[Mismatch]

    @property
    def ok(self) -> bool:
        return not self.mismatches


ListCall = Callable[[Any], Awaitable[Any]]


async def _stripe_all(list_call: ListCall, params: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page_params = {**params, "limit": PAGE}
        if after:
            page_params["starting_after"] = after
        page = await call(list_call(page_params))
        data = [as_dict(item) for item in page.get("data", [])]
        found.extend(data)
        if not page.get("has_more") or not data:
            return found
        after = str(data[-1]["id"])


R = TypeVar("R", PayoutRecord, PurchaseRecord, RefundRecord, DisputeRecord)
KeyOf = Callable[[Keys, str], str]  # an unbound Keys method: Keys.payout, …


async def _records(
    store: Store, key_of: KeyOf, parse: Callable[[RawHash], R], ids: list[str]
) -> list[R]:
    rows = await hashes(store, [key_of(store.keys, record_id) for record_id in ids])
    return [parse(raw) for raw in rows if raw]


async def _since(
    store: Store, kind: MoneyKind, key_of: KeyOf, parse: Callable[[RawHash], R], since_ms: int
) -> list[R]:
    """Our records of one kind created since `since_ms`: live, and archived (a record briefly
    in both, archived but not yet removed, is compared once, as live)."""
    index = store.keys.records_index(kind + "s")
    ids = [m.decode() for m in await store.redis.zrangebyscore(index, since_ms, "+inf")]
    rows = await hashes(store, [key_of(store.keys, record_id) for record_id in ids])
    seen = {record_id for record_id, raw in zip(ids, rows, strict=True) if raw}
    old = [h for h in await archived.since(store, kind, since_ms) if h.get("id") not in seen]
    return [parse(raw) for raw in rows if raw] + [parse(h) for h in old]


# The holding accounts and the records whose amounts they hold while in flight.
HOLDING: tuple[tuple[str, KeyOf, Callable[[RawHash], Any], tuple[str, ...]], ...] = (
    ("payouts", Keys.payout, PayoutRecord.from_hash, ("pending", "sent")),
    ("refunds", Keys.refund, RefundRecord.from_hash, ("pending", "sent")),
    ("disputes", Keys.dispute, DisputeRecord.from_hash, ("open",)),
)


async def _holding(store: Store, out: list[Mismatch]) -> None:
    """The holding accounts must hold exactly what is in flight."""
    balances = await ledger.balances(store)
    for account, key_of, parse, statuses in HOLDING:
        ids: list[str] = []
        for status in statuses:
            index = store.keys.records_with_status(account, status)
            ids += [m.decode() for m in await store.redis.zrange(index, 0, -1)]
        in_flight = sum(r.amount for r in await _records(store, key_of, parse, ids))
        held = balances.get(account, 0)
        if held != in_flight:
            out.append(
                books_mismatch(
                    "holding_differs",
                    f"The {account} account holds {format_usd(held)} but "
                    f"{format_usd(in_flight)} is in flight.",
                )
            )


def ledger_cash(balances: dict[str, int]) -> int:
    """Micro-USD our books say we hold at Stripe (see the module's docstring)."""
    return -(
        balances.get("world", 0) + balances.get("stripe_fees", 0) + balances.get("disputes", 0)
    )


async def _cash(
    store: Store, client: Payments, other_cents: int | None, out: list[Mismatch]
) -> tuple[int, int]:
    """Stripe's balance and our books' cash, in cents; mismatches for a difference and for a
    `world` account above zero."""
    balance = await call(client.stripe.v1.balance.retrieve_async())
    stripe_cents = sum(
        int(entry.get("amount") or 0)
        for part in ("available", "pending")
        for entry in balance.get(part) or []
        if entry.get("currency") == "usd"
    )
    books = await ledger.balances(store)
    cash = ledger_cash(books)
    theirs = to_micro(stripe_cents)
    other = to_micro(other_cents) if other_cents is not None else None
    if other is not None and theirs != cash + other:
        out.append(
            books_mismatch(
                "cash_differs",
                f"Stripe's balance is {format_usd(theirs)}; our books hold "
                f"{format_usd(cash)} there and {format_usd(other)} is not ours, "
                f"{format_usd(theirs - cash - other)} apart.",
            )
        )
    elif other is None and theirs < cash:
        out.append(
            books_mismatch(
                "cash_differs",
                f"Stripe's balance is {format_usd(theirs)}, less than the "
                f"{format_usd(cash)} our books hold there ({format_usd(cash - theirs)} short).",
            )
        )
    world = books.get("world", 0)
    if world > 0:
        out.append(
            books_mismatch(
                "world_positive",
                f"The world account is {format_usd(world)} above zero: the books say more "
                "money left than ever came in.",
            )
        )
    return stripe_cents, cash // MICRO_PER_CENT


async def reconcile(
    store: Store,
    payments: Payments | None,
    *,
    since: int | None = None,
    other_cents: int | None = None,
) -> ReconcileReport:
    """Compare everything created since `since` (unix seconds; default 90 days ago).
    `other_cents`: money on the Stripe account that is not this pool's (None: unknown, so
    Stripe's balance need only cover our books' cash)."""
    client = require(payments)
    since = since if since is not None else int(time.time()) - DEFAULT_WINDOW_DAYS * 86400
    window = {"created": {"gte": since}}
    v1 = client.stripe.v1
    ours = since * 1000
    transfers = [
        Transfer.from_stripe(t)
        for t in await _stripe_all(v1.transfers.list_async, window)
        if metadata(t).get("lcn_pool") == store.pool
    ]
    charges = [
        Charge.from_stripe(c)
        for c in await _stripe_all(v1.charges.list_async, window)
        if metadata(c).get("lcn_pool") == store.pool
    ]
    purchases = await _since(store, "purchase", Keys.purchase, PurchaseRecord.from_hash, ours)
    our_intents = {p.payment_intent for p in purchases if p.payment_intent}
    stripe_refunds = [
        StripeRefund.from_stripe(r)
        for r in await _stripe_all(v1.refunds.list_async, window)
        if metadata(r).get("lcn_pool") == store.pool or r.get("payment_intent") in our_intents
    ]
    payouts = await _since(store, "payout", Keys.payout, PayoutRecord.from_hash, ours)
    refunds = await _since(store, "refund", Keys.refund, RefundRecord.from_hash, ours)
    await fees.book_missing(store, client, purchases)  # before cash is compared
    mismatches = (
        compare_payouts(payouts, transfers)
        + compare_purchases(purchases, charges)
        + compare_refunds(refunds, stripe_refunds)
    )
    await _holding(store, mismatches)
    balance_cents, cash_cents = await _cash(store, client, other_cents, mismatches)
    books = await ledger.check(store)
    mismatches += [books_mismatch("ledger", problem) for problem in books.problems]
    # Money that balances but has no source: each such posting, by its journal id.
    mismatches += [
        Mismatch(
            kind="unproven_posting",
            record=posting.posting_id,
            stripe_id=None,
            detail=f"Posting {posting.posting_id} ({posting.kind}, key {posting.idem}) has no "
            f"proven source: {posting.reason}.",
        )
        for posting in books.unproven
    ]
    return ReconcileReport(
        since=since,
        payouts=len(payouts),
        purchases=len(purchases),
        refunds=len(refunds),
        transfers=len(transfers),
        charges=len(charges),
        stripe_refunds=len(stripe_refunds),
        stripe_balance_cents=balance_cents,
        ledger_cash_cents=cash_cents,
        mismatches=mismatches,
    )
