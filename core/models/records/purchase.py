"""The purchase hash (`purchase:<id>`): credit or a catalog item bought through Stripe Checkout.

`refunded` is what was refunded, `refunding` what is on its way back; `paid_micro` is what
Stripe said arrived (a `mismatch` when it is not the amount). Micro-USD, Unix ms."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from core.models.records.base import Record


class PurchaseRecord(Record):
    purchase_id: str = Field(validation_alias="id")
    kind: str
    sku: str
    description: str
    buyer: str
    ref: str  # what a sale is of (an asset name, a job id)
    secret: str  # a keystore password a PKP sale encrypts with
    amount: int
    status: str
    fulfilment: str
    refunded: int
    refunding: int
    paid_micro: int | None
    stripe_fee: int | None  # booked once; None until then
    checkout_url: str | None
    session: str | None
    payment_intent: str | None
    charge: str | None
    error: str | None
    delivery: str | None  # JSON; `delivered` reads it
    created_at: int | None
    paid_at: int | None

    @property
    def delivered(self) -> dict[str, Any] | None:
        """What fulfilment delivered (an API key, a grant); None before it did."""
        value = json.loads(self.delivery) if self.delivery else None
        return value if isinstance(value, dict) else None
