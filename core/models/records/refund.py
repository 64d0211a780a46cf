"""The refund hash (`refund:<id>`): money going back to a buyer, through Stripe. A refund made
in Stripe's Dashboard is recorded as `ext-<stripe id>`. Micro-USD, Unix ms."""

from __future__ import annotations

from typing import Self

from core.models.records import fields as f
from core.models.records.base import Record


class RefundRecord(Record):
    refund_id: str
    purchase_id: str
    amount: int
    origin: str  # the ledger account it comes out of
    status: str
    gen: str  # as our idempotency keys spell it
    attempts: int
    payment_intent: str | None
    stripe_refund: str | None
    reason: str
    operator: str
    error: str | None
    created_at: int | None
    next_attempt_at: int | None
    refunded_at: int | None

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls(
            refund_id=f.text(h.get("id")) or "",
            purchase_id=f.text(h.get("purchase")) or "",
            amount=f.int_or(h.get("amount")),
            origin=f.text(h.get("origin")) or "",
            status=f.text(h.get("status")) or "",
            gen=f.text(h.get("gen")) or "",
            attempts=f.int_or(h.get("attempts")),
            payment_intent=f.opt_text(h.get("payment_intent")),
            stripe_refund=f.opt_text(h.get("stripe_refund")),
            reason=f.text(h.get("reason")) or "",
            operator=f.text(h.get("operator")) or "",
            error=f.opt_text(h.get("error")),
            created_at=f.opt_int(h.get("created_at")),
            next_attempt_at=f.opt_int(h.get("next_attempt_at")),
            refunded_at=f.opt_int(h.get("refunded_at")),
        )
