"""What reconcile compares, as tables: each of our records is paired with the Stripe objects
that name it, and each row of a table is one way the two can disagree (its kind, when it
applies, the Stripe object it points to and the sentence that says it). Stripe objects that
name no record of ours are checked by the same means. Amounts are micro-USD on both sides:
Stripe's cents are converted as they are read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import Field

from core.models.base import WireModel
from core.models.records.payout import PayoutRecord
from core.models.records.purchase import PurchaseRecord
from core.models.records.refund import RefundRecord
from core.money import format_usd
from core.payments.cents import to_micro

LIVE_REFUND = ("succeeded", "pending")  # a Stripe refund that has taken, or will take, money


class Mismatch(WireModel):
    kind: str
    record: str | None = Field(
        description="Our payout, purchase or refund id, or the journal id of an unproven posting."
    )
    stripe_id: str | None
    detail: str


def books_mismatch(kind: str, detail: str) -> Mismatch:
    """A disagreement of our books as a whole (no one record, no one Stripe object)."""
    return Mismatch(kind=kind, record=None, stripe_id=None, detail=detail)


def metadata(obj: dict[str, Any]) -> dict[str, str]:
    return dict(obj.get("metadata") or {})


def _micro(obj: dict[str, Any], name: str) -> int:
    return to_micro(int(obj.get(name) or 0))


# ── Stripe's objects, as far as reconcile reads them ─────────────────────────────────────────


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    amount_reversed: int
    destination: str | None
    payout: str  # lcn_payout: our payout it was made for
    gen: str  # lcn_gen: the payout's generation that made it

    @classmethod
    def from_stripe(cls, t: dict[str, Any]) -> Transfer:
        meta = metadata(t)
        return cls(
            id=str(t["id"]),
            amount=_micro(t, "amount"),
            amount_reversed=_micro(t, "amount_reversed"),
            destination=t.get("destination"),
            payout=meta.get("lcn_payout", ""),
            gen=meta.get("lcn_gen", ""),
        )


@dataclass(frozen=True)
class Charge:
    id: str
    amount: int
    amount_refunded: int
    purchase: str  # lcn_purchase
    taken: bool  # succeeded and paid: money that reached us

    @classmethod
    def from_stripe(cls, c: dict[str, Any]) -> Charge:
        return cls(
            id=str(c["id"]),
            amount=_micro(c, "amount"),
            amount_refunded=_micro(c, "amount_refunded"),
            purchase=metadata(c).get("lcn_purchase", ""),
            taken=c.get("status") == "succeeded" and bool(c.get("paid", True)),
        )


@dataclass(frozen=True)
class StripeRefund:
    id: str
    amount: int
    live: bool
    refund: str  # lcn_refund: ours, when we asked for it ('' for a Dashboard refund)

    @classmethod
    def from_stripe(cls, r: dict[str, Any]) -> StripeRefund:
        return cls(
            id=str(r["id"]),
            amount=_micro(r, "amount"),
            live=r.get("status") in LIVE_REFUND,
            refund=metadata(r).get("lcn_refund", ""),
        )


# ── the tables ───────────────────────────────────────────────────────────────────────────────

T = TypeVar("T")


@dataclass(frozen=True)
class Check(Generic[T]):
    kind: str
    applies: Callable[[T], bool]
    stripe_id: Callable[[T], str | None]
    detail: Callable[[T], str]


def run(
    checks: Sequence[Check[T]], items: Iterable[T], record: Callable[[T], str | None]
) -> list[Mismatch]:
    """Every check that applies to every item, in table order for each item."""
    return [
        Mismatch(
            kind=check.kind,
            record=record(item),
            stripe_id=check.stripe_id(item),
            detail=check.detail(item),
        )
        for item in items
        for check in checks
        if check.applies(item)
    ]


@dataclass(frozen=True)
class PayoutPair:
    payout: PayoutRecord
    made: list[Transfer]  # the transfers Stripe made for this payout's generation

    @property
    def paid(self) -> bool:
        return self.payout.status == "paid"

    @property
    def transfer(self) -> Transfer | None:
        """The transfer the payout was settled with, as Stripe has it."""
        return next((t for t in self.made if t.id == self.payout.transfer), None)

    @property
    def settled(self) -> Transfer:
        assert self.transfer is not None  # every check that reads it first asks `self.transfer`
        return self.transfer


PAYOUT_CHECKS: tuple[Check[PayoutPair], ...] = (
    Check(
        "duplicate_transfer",
        lambda p: len(p.made) > 1,
        lambda p: p.made[1].id,
        lambda p: f"Stripe has {len(p.made)} transfers for payout {p.payout.payout_id}.",
    ),
    Check(
        "transfer_missing",
        lambda p: p.paid and p.transfer is None,
        lambda p: p.payout.transfer,
        lambda p: f"Payout {p.payout.payout_id} is paid but Stripe has no such transfer.",
    ),
    Check(
        "amount_differs",
        lambda p: p.paid and p.transfer is not None and p.settled.amount != p.payout.amount,
        lambda p: p.settled.id,
        lambda p: (
            f"Payout {p.payout.payout_id} is {format_usd(p.payout.amount)}, the "
            f"transfer {format_usd(p.settled.amount)}."
        ),
    ),
    Check(
        "destination_differs",
        lambda p: p.paid and p.transfer is not None and p.settled.destination != p.payout.account,
        lambda p: p.settled.id,
        lambda p: (
            f"Payout {p.payout.payout_id} went to {p.settled.destination}, not {p.payout.account}."
        ),
    ),
    Check(
        "transfer_reversed",
        lambda p: (
            p.paid and p.transfer is not None and p.settled.amount_reversed != p.payout.reversed
        ),
        lambda p: p.settled.id,
        lambda p: (
            f"Stripe reversed {format_usd(p.settled.amount_reversed)} of payout "
            f"{p.payout.payout_id}, our books {format_usd(p.payout.reversed)}."
        ),
    ),
    Check(
        "transfer_not_booked",
        lambda p: not p.paid and bool(p.made),
        lambda p: p.made[0].id,
        lambda p: (
            f"Stripe made transfer {p.made[0].id} for payout {p.payout.payout_id}, "
            f"which we record as {p.payout.status}."
        ),
    ),
)

UNKNOWN_TRANSFER: tuple[Check[Transfer], ...] = (
    Check(
        "unknown_transfer",
        lambda t: True,
        lambda t: t.id,
        lambda t: f"Stripe transfer {t.id} names no payout of ours.",
    ),
)


@dataclass(frozen=True)
class PurchasePair:
    purchase: PurchaseRecord
    got: list[Charge]  # the charges that took money for it

    @property
    def booked(self) -> bool:
        """Our books say the money came in (and maybe partly went back)."""
        return self.purchase.status in ("paid", "refunded")

    @property
    def charge(self) -> Charge:
        return self.got[0]

    @property
    def refund_agrees(self) -> bool:
        """Stripe's refunded amount is what we refunded, or that and what is on its way."""
        ours, on_the_way = self.purchase.refunded, self.purchase.refunding
        return self.charge.amount_refunded in (ours, ours + on_the_way)


PURCHASE_CHECKS: tuple[Check[PurchasePair], ...] = (
    Check(
        "payment_mismatch",
        lambda p: p.purchase.status == "mismatch",
        lambda p: p.purchase.payment_intent,
        lambda p: p.purchase.error or f"Purchase {p.purchase.purchase_id} was paid a wrong amount.",
    ),
    Check(
        "charge_missing",
        lambda p: p.booked and not p.got,
        lambda p: p.purchase.payment_intent,
        lambda p: (
            f"Purchase {p.purchase.purchase_id} is {p.purchase.status} but Stripe has no charge."
        ),
    ),
    Check(
        "amount_differs",
        lambda p: p.booked and bool(p.got) and p.charge.amount != p.purchase.amount,
        lambda p: p.charge.id,
        lambda p: (
            f"Purchase {p.purchase.purchase_id} is {format_usd(p.purchase.amount)}, the "
            f"charge {format_usd(p.charge.amount)}."
        ),
    ),
    Check(
        "refunded_differs",
        lambda p: p.booked and bool(p.got) and not p.refund_agrees,
        lambda p: p.charge.id,
        lambda p: (
            f"Stripe refunded {format_usd(p.charge.amount_refunded)} of purchase "
            f"{p.purchase.purchase_id}, we record {format_usd(p.purchase.refunded)}."
        ),
    ),
    Check(
        "charge_not_booked",
        lambda p: p.purchase.status not in ("mismatch", "paid", "refunded") and bool(p.got),
        lambda p: p.charge.id,
        lambda p: (
            f"Stripe charged {p.charge.id} for purchase {p.purchase.purchase_id}, which "
            f"we record as {p.purchase.status} (a webhook was missed)."
        ),
    ),
    Check(
        "duplicate_charge",
        lambda p: len(p.got) > 1,
        lambda p: p.got[1].id,
        lambda p: f"Stripe has {len(p.got)} charges for purchase {p.purchase.purchase_id}.",
    ),
)

UNKNOWN_CHARGE: tuple[Check[Charge], ...] = (
    Check(
        "unknown_charge",
        lambda c: True,
        lambda c: c.id,
        lambda c: f"Stripe charge {c.id} names purchase {c.purchase}, which we do not have.",
    ),
)


@dataclass(frozen=True)
class RefundPair:
    refund: RefundRecord
    theirs: StripeRefund | None  # Stripe's refund by the id we booked, else by its metadata

    @property
    def live(self) -> StripeRefund | None:
        return self.theirs if self.theirs is not None and self.theirs.live else None

    @property
    def taken(self) -> StripeRefund:
        assert self.live is not None  # every check that reads it first asks `self.live`
        return self.live

    @property
    def succeeded(self) -> bool:
        return self.refund.status == "succeeded"


REFUND_CHECKS: tuple[Check[RefundPair], ...] = (
    Check(
        "refund_missing",
        lambda p: p.succeeded and p.live is None,
        lambda p: p.refund.stripe_refund,
        lambda p: f"Refund {p.refund.refund_id} is booked but Stripe has no such refund.",
    ),
    Check(
        "amount_differs",
        lambda p: p.succeeded and p.live is not None and p.taken.amount != p.refund.amount,
        lambda p: p.taken.id,
        lambda p: (
            f"Refund {p.refund.refund_id} is {format_usd(p.refund.amount)} here and "
            f"{format_usd(p.taken.amount)} at Stripe."
        ),
    ),
    Check(
        "refund_not_booked",
        lambda p: not p.succeeded and p.live is not None,
        lambda p: p.taken.id,
        lambda p: (
            f"Stripe refunded {p.taken.id} for refund {p.refund.refund_id}, which we "
            f"record as {p.refund.status}."
        ),
    ),
)


@dataclass(frozen=True)
class Unmatched:
    """A Stripe refund no refund of ours matches, and whether any of ours names it."""

    refund: StripeRefund
    known: bool  # it names a refund of ours
    booked: bool  # a refund of ours records its id (a Dashboard refund we booked)


UNMATCHED_REFUND_CHECKS: tuple[Check[Unmatched], ...] = (
    Check(
        "unknown_refund",
        lambda u: bool(u.refund.refund) and not u.known,
        lambda u: u.refund.id,
        lambda u: (
            f"Stripe refund {u.refund.id} names refund {u.refund.refund}, which we do not have."
        ),
    ),
    Check(
        "refund_not_booked",
        lambda u: not u.refund.refund and not u.booked and u.refund.live,
        lambda u: u.refund.id,
        lambda u: f"Stripe refund {u.refund.id} of one of our payments is not in the ledger.",
    ),
)


# ── pairing ──────────────────────────────────────────────────────────────────────────────────


def compare_payouts(payouts: list[PayoutRecord], transfers: list[Transfer]) -> list[Mismatch]:
    by_payout: dict[tuple[str, str], list[Transfer]] = defaultdict(list)
    for t in transfers:
        by_payout[(t.payout, t.gen)].append(t)
    pairs = [PayoutPair(p, by_payout.get((p.payout_id, p.gen), [])) for p in payouts]
    known = {p.payout_id for p in payouts}
    strangers = [t for (pid, _), made in by_payout.items() if pid not in known for t in made]
    return run(PAYOUT_CHECKS, pairs, lambda p: p.payout.payout_id) + run(
        UNKNOWN_TRANSFER, strangers, lambda t: t.payout or None
    )


def compare_purchases(purchases: list[PurchaseRecord], charges: list[Charge]) -> list[Mismatch]:
    by_purchase: dict[str, list[Charge]] = defaultdict(list)
    for c in charges:
        if c.taken:
            by_purchase[c.purchase].append(c)
    pairs = [PurchasePair(p, by_purchase.get(p.purchase_id, [])) for p in purchases]
    known = {p.purchase_id for p in purchases}
    strangers = [c for pid, got in by_purchase.items() if pid and pid not in known for c in got]
    return run(PURCHASE_CHECKS, pairs, lambda p: p.purchase.purchase_id) + run(
        UNKNOWN_CHARGE, strangers, lambda c: c.purchase
    )


def compare_refunds(ours: list[RefundRecord], theirs: list[StripeRefund]) -> list[Mismatch]:
    by_id = {r.id: r for r in theirs}
    by_ours = {r.refund: r for r in theirs}
    pairs = [
        RefundPair(r, by_id.get(r.stripe_refund or "") or by_ours.get(r.refund_id)) for r in ours
    ]
    known = {r.refund_id for r in ours}
    booked = {r.stripe_refund or "" for r in ours}
    unmatched = [Unmatched(sr, sr.refund in known, sr.id in booked) for sr in theirs]
    return run(REFUND_CHECKS, pairs, lambda p: p.refund.refund_id) + run(
        UNMATCHED_REFUND_CHECKS, unmatched, lambda u: u.refund.refund or None
    )
