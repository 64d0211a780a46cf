"""The payout hash (`payout:<id>`): one transfer of a node's earnings to its Stripe account.

`gen` counts the payout's attempts at a transfer (a retry is a new generation, with its own
idempotency keys); `reversed` is what Stripe took back of a paid one. Micro-USD, Unix ms."""

from __future__ import annotations

from typing import Self

from core.models.records import fields as f
from core.models.records.base import Record


class PayoutRecord(Record):
    payout_id: str
    node_id: str
    account: str
    amount: int
    status: str
    attempts: int
    gen: str  # as Stripe's metadata and our idempotency keys spell it
    key_n: str | None
    transfer: str | None
    reversed: int
    held: str | None  # why it waits for an operator ('stripe_key')
    error: str | None
    created_at: int | None
    updated_at: int | None
    next_attempt_at: int | None
    first_sent_at: int | None
    paid_at: int | None
    failed_at: int | None

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls(
            payout_id=f.text(h.get("id")) or "",
            node_id=f.text(h.get("node")) or "",
            account=f.text(h.get("account")) or "",
            amount=f.int_or(h.get("amount")),
            status=f.text(h.get("status")) or "",
            attempts=f.int_or(h.get("attempts")),
            gen=f.text(h.get("gen")) or "",
            key_n=f.opt_text(h.get("key_n")),
            transfer=f.opt_text(h.get("transfer")),
            reversed=f.int_or(h.get("reversed")),
            held=f.opt_text(h.get("held")),
            error=f.opt_text(h.get("error")),
            created_at=f.opt_int(h.get("created_at")),
            updated_at=f.opt_int(h.get("updated_at")),
            next_attempt_at=f.opt_int(h.get("next_attempt_at")),
            first_sent_at=f.opt_int(h.get("first_sent_at")),
            paid_at=f.opt_int(h.get("paid_at")),
            failed_at=f.opt_int(h.get("failed_at")),
        )
