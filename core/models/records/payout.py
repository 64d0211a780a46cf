"""The payout hash (`payout:<id>`): one transfer of a node's earnings to its Stripe account.

`gen` counts the payout's attempts at a transfer (a retry is a new generation, with its own
idempotency keys); `reversed` is what Stripe took back of a paid one. Micro-USD, Unix ms."""

from __future__ import annotations

from pydantic import Field

from core.models.records.base import Record


class PayoutRecord(Record):
    payout_id: str = Field(validation_alias="id")
    node_id: str = Field(validation_alias="node")
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
    recovering: bool  # claimed again while `sent`: a dispatcher died with it at Stripe
    check_first: bool  # Stripe may have made it: look it up before sending again
    paid_at: int | None
    failed_at: int | None
