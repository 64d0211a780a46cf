"""The refund hash (`refund:<id>`): money going back to a buyer, through Stripe. A refund made
in Stripe's Dashboard is recorded as `ext-<stripe id>`. Micro-USD, Unix ms."""

from __future__ import annotations

from pydantic import Field

from core.models.records.base import Record


class RefundRecord(Record):
    refund_id: str = Field(validation_alias="id")
    purchase_id: str = Field(validation_alias="purchase")
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
