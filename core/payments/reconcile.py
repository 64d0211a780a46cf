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
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import Field

from core import ledger
from core.models.base import WireModel
from core.money import format_usd
from core.payments import fees
from core.payments.cents import MICRO_PER_CENT, to_micro
from core.payments.client import Payments, as_dict, call, require
from core.payments.records import decode
from core.store import Store

DEFAULT_WINDOW_DAYS = 90
PAGE = 100


class Mismatch(WireModel):
    kind: str
    record: str | None = Field(
        description="Our payout, purchase or refund id, or the journal id of an unproven posting."
    )
    stripe_id: str | None
    detail: str


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


async def _ours(store: Store, kind: str, since_ms: int) -> list[dict[str, str]]:
    ids = [
        m.decode()
        for m in await store.redis.zrangebyscore(store.keys.records_index(kind), since_ms, "+inf")
    ]
    return await _records(store, kind, ids)


async def _records(store: Store, kind: str, ids: list[str]) -> list[dict[str, str]]:
    key_of = {
        "payouts": store.keys.payout,
        "purchases": store.keys.purchase,
        "refunds": store.keys.refund,
        "disputes": store.keys.dispute,
    }[kind]
    async with store.redis.pipeline(transaction=False) as pipe:
        for record_id in ids:
            pipe.hgetall(key_of(record_id))
        rows = await pipe.execute()
    return [decode(raw) for raw in rows if raw]


def _meta(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj.get("metadata") or {})


def _compare_payouts(
    payouts: list[dict[str, str]], transfers: list[dict[str, Any]], out: list[Mismatch]
) -> None:
    by_payout: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for t in transfers:
        m = _meta(t)
        by_payout[(m.get("lcn_payout", ""), m.get("lcn_gen", ""))].append(t)
    known = {p["id"] for p in payouts}
    for p in payouts:
        pid, st = p["id"], p["status"]
        made = by_payout.get((pid, p.get("gen", "")), [])
        if len(made) > 1:
            out.append(
                Mismatch(
                    kind="duplicate_transfer",
                    record=pid,
                    stripe_id=made[1]["id"],
                    detail=f"Stripe has {len(made)} transfers for payout {pid}.",
                )
            )
        if st == "paid":
            matching = [t for t in made if t["id"] == p.get("transfer")]
            if not matching:
                out.append(
                    Mismatch(
                        kind="transfer_missing",
                        record=pid,
                        stripe_id=p.get("transfer") or None,
                        detail=f"Payout {pid} is paid but Stripe has no such transfer.",
                    )
                )
                continue
            t = matching[0]
            if to_micro(int(t["amount"])) != int(p["amount"]):
                out.append(
                    Mismatch(
                        kind="amount_differs",
                        record=pid,
                        stripe_id=t["id"],
                        detail=f"Payout {pid} is {format_usd(int(p['amount']))}, the "
                        f"transfer {format_usd(to_micro(int(t['amount'])))}.",
                    )
                )
            if t.get("destination") != p.get("account"):
                out.append(
                    Mismatch(
                        kind="destination_differs",
                        record=pid,
                        stripe_id=t["id"],
                        detail=f"Payout {pid} went to {t.get('destination')}, not "
                        f"{p.get('account')}.",
                    )
                )
            booked = int(p.get("reversed") or 0)
            if to_micro(int(t.get("amount_reversed") or 0)) != booked:
                out.append(
                    Mismatch(
                        kind="transfer_reversed",
                        record=pid,
                        stripe_id=t["id"],
                        detail=f"Stripe reversed "
                        f"{format_usd(to_micro(int(t['amount_reversed'])))} of "
                        f"payout {pid}, our books {format_usd(booked)}.",
                    )
                )
        elif made:
            out.append(
                Mismatch(
                    kind="transfer_not_booked",
                    record=pid,
                    stripe_id=made[0]["id"],
                    detail=f"Stripe made transfer {made[0]['id']} for payout {pid}, "
                    f"which we record as {st}.",
                )
            )
    for (pid, _), made in by_payout.items():
        if pid not in known:
            for t in made:
                out.append(
                    Mismatch(
                        kind="unknown_transfer",
                        record=pid or None,
                        stripe_id=t["id"],
                        detail=f"Stripe transfer {t['id']} names no payout of ours.",
                    )
                )


def _compare_purchases(
    purchases: list[dict[str, str]], charges: list[dict[str, Any]], out: list[Mismatch]
) -> None:
    by_purchase: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in charges:
        if c.get("status") == "succeeded" and c.get("paid", True):
            by_purchase[_meta(c).get("lcn_purchase", "")].append(c)
    known = {p["id"] for p in purchases}
    for p in purchases:
        pid, st = p["id"], p["status"]
        got = by_purchase.get(pid, [])
        if st == "mismatch":
            out.append(
                Mismatch(
                    kind="payment_mismatch",
                    record=pid,
                    stripe_id=p.get("payment_intent"),
                    detail=p.get("error") or f"Purchase {pid} was paid a wrong amount.",
                )
            )
        elif st in ("paid", "refunded"):
            if not got:
                out.append(
                    Mismatch(
                        kind="charge_missing",
                        record=pid,
                        stripe_id=p.get("payment_intent") or None,
                        detail=f"Purchase {pid} is {st} but Stripe has no charge.",
                    )
                )
                continue
            charge = got[0]
            if to_micro(int(charge["amount"])) != int(p["amount"]):
                out.append(
                    Mismatch(
                        kind="amount_differs",
                        record=pid,
                        stripe_id=charge["id"],
                        detail=f"Purchase {pid} is {format_usd(int(p['amount']))}, the "
                        f"charge {format_usd(to_micro(int(charge['amount'])))}.",
                    )
                )
            stripe_refunded = to_micro(int(charge.get("amount_refunded") or 0))
            ours = int(p.get("refunded") or 0)
            in_flight = int(p.get("refunding") or 0)
            if stripe_refunded not in (ours, ours + in_flight):
                out.append(
                    Mismatch(
                        kind="refunded_differs",
                        record=pid,
                        stripe_id=charge["id"],
                        detail=f"Stripe refunded {format_usd(stripe_refunded)} of "
                        f"purchase {pid}, we record {format_usd(ours)}.",
                    )
                )
        elif got:
            out.append(
                Mismatch(
                    kind="charge_not_booked",
                    record=pid,
                    stripe_id=got[0]["id"],
                    detail=f"Stripe charged {got[0]['id']} for purchase {pid}, which we "
                    f"record as {st} (a webhook was missed).",
                )
            )
        if len(got) > 1:
            out.append(
                Mismatch(
                    kind="duplicate_charge",
                    record=pid,
                    stripe_id=got[1]["id"],
                    detail=f"Stripe has {len(got)} charges for purchase {pid}.",
                )
            )
    for pid, got in by_purchase.items():
        if pid and pid not in known:
            for c in got:
                out.append(
                    Mismatch(
                        kind="unknown_charge",
                        record=pid,
                        stripe_id=c["id"],
                        detail=f"Stripe charge {c['id']} names purchase {pid}, which "
                        "we do not have.",
                    )
                )


def _compare_refunds(
    ours: list[dict[str, str]], theirs: list[dict[str, Any]], out: list[Mismatch]
) -> None:
    by_id = {r["id"]: r for r in theirs}
    by_ours = {_meta(r).get("lcn_refund", ""): r for r in theirs}
    known = {r["id"] for r in ours}
    booked = {r.get("stripe_refund", "") for r in ours}
    for r in ours:
        rid, st = r["id"], r["status"]
        sr = by_id.get(r.get("stripe_refund", "")) or by_ours.get(rid)
        if st == "succeeded":
            if sr is None or sr.get("status") not in ("succeeded", "pending"):
                out.append(
                    Mismatch(
                        kind="refund_missing",
                        record=rid,
                        stripe_id=r.get("stripe_refund") or None,
                        detail=f"Refund {rid} is booked but Stripe has no such refund.",
                    )
                )
            elif to_micro(int(sr["amount"])) != int(r["amount"]):
                out.append(
                    Mismatch(
                        kind="amount_differs",
                        record=rid,
                        stripe_id=sr["id"],
                        detail=f"Refund {rid} is {format_usd(int(r['amount']))} here and "
                        f"{format_usd(to_micro(int(sr['amount'])))} at Stripe.",
                    )
                )
        elif sr is not None and sr.get("status") in ("succeeded", "pending"):
            out.append(
                Mismatch(
                    kind="refund_not_booked",
                    record=rid,
                    stripe_id=sr["id"],
                    detail=f"Stripe refunded {sr['id']} for refund {rid}, which we record as {st}.",
                )
            )
    for sr in theirs:
        mine = _meta(sr).get("lcn_refund")
        if mine and mine not in known:
            out.append(
                Mismatch(
                    kind="unknown_refund",
                    record=mine,
                    stripe_id=sr["id"],
                    detail=f"Stripe refund {sr['id']} names refund {mine}, which we do not have.",
                )
            )
        elif not mine and sr["id"] not in booked and sr.get("status") in ("succeeded", "pending"):
            out.append(
                Mismatch(
                    kind="refund_not_booked",
                    record=None,
                    stripe_id=sr["id"],
                    detail=f"Stripe refund {sr['id']} of one of our payments is not in the ledger.",
                )
            )


async def _holding(store: Store, out: list[Mismatch]) -> None:
    """The holding accounts must hold exactly what is in flight."""
    balances = await ledger.balances(store)
    for kind, account, statuses in (
        ("payouts", "payouts", ("pending", "sent")),
        ("refunds", "refunds", ("pending", "sent")),
        ("disputes", "disputes", ("open",)),
    ):
        ids: list[str] = []
        for status in statuses:
            ids += [
                m.decode()
                for m in await store.redis.zrange(
                    store.keys.records_with_status(kind, status), 0, -1
                )
            ]
        in_flight = sum(int(r.get("amount") or 0) for r in await _records(store, kind, ids))
        held = balances.get(account, 0)
        if held != in_flight:
            out.append(
                Mismatch(
                    kind="holding_differs",
                    record=None,
                    stripe_id=None,
                    detail=f"The {account} account holds {format_usd(held)} but "
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
    if other_cents is not None and theirs != cash + to_micro(other_cents):
        other = to_micro(other_cents)
        out.append(
            Mismatch(
                kind="cash_differs",
                record=None,
                stripe_id=None,
                detail=f"Stripe's balance is {format_usd(theirs)}; our books hold "
                f"{format_usd(cash)} there and {format_usd(other)} is not ours, "
                f"{format_usd(theirs - cash - other)} apart.",
            )
        )
    elif other_cents is None and theirs < cash:
        out.append(
            Mismatch(
                kind="cash_differs",
                record=None,
                stripe_id=None,
                detail=f"Stripe's balance is {format_usd(theirs)}, less than the "
                f"{format_usd(cash)} our books hold there ({format_usd(cash - theirs)} short).",
            )
        )
    world = books.get("world", 0)
    if world > 0:
        out.append(
            Mismatch(
                kind="world_positive",
                record=None,
                stripe_id=None,
                detail=f"The world account is {format_usd(world)} above zero: the books say more "
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
    transfers = [
        t
        for t in await _stripe_all(v1.transfers.list_async, window)
        if _meta(t).get("lcn_pool") == store.pool
    ]
    charges = [
        c
        for c in await _stripe_all(v1.charges.list_async, window)
        if _meta(c).get("lcn_pool") == store.pool
    ]
    purchases = await _ours(store, "purchases", since * 1000)
    our_intents = {p.get("payment_intent") for p in purchases if p.get("payment_intent")}
    stripe_refunds = [
        r
        for r in await _stripe_all(v1.refunds.list_async, window)
        if _meta(r).get("lcn_pool") == store.pool or r.get("payment_intent") in our_intents
    ]
    payouts = await _ours(store, "payouts", since * 1000)
    refunds = await _ours(store, "refunds", since * 1000)
    await fees.book_missing(store, client, purchases)  # before cash is compared
    mismatches: list[Mismatch] = []
    _compare_payouts(payouts, transfers, mismatches)
    _compare_purchases(purchases, charges, mismatches)
    _compare_refunds(refunds, stripe_refunds, mismatches)
    await _holding(store, mismatches)
    balance_cents, cash_cents = await _cash(store, client, other_cents, mismatches)
    books = await ledger.check(store)
    mismatches += [
        Mismatch(kind="ledger", record=None, stripe_id=None, detail=problem)
        for problem in books.problems
    ]
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
