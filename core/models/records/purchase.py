"""The purchase hash (`purchase:<id>`): credit or a catalog item bought through Stripe Checkout.

`refunded` is what was refunded, `refunding` what is on its way back; `paid_micro` is what
Stripe said arrived (a `mismatch` when it is not the amount). Micro-USD, Unix ms."""

from __future__ import annotations

import json
from typing import Any, Self

from core.models.records import fields as f
from core.models.records.base import Record


class PurchaseRecord(Record):
    purchase_id: str
    kind: str
    sku: str
    description: str
    buyer: str
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

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls(
            purchase_id=f.text(h.get("id")) or "",
            kind=f.text(h.get("kind")) or "",
            sku=f.text(h.get("sku")) or "",
            description=f.text(h.get("description")) or "",
            buyer=f.text(h.get("buyer")) or "",
            amount=f.int_or(h.get("amount")),
            status=f.text(h.get("status")) or "",
            fulfilment=f.text(h.get("fulfilment")) or "",
            refunded=f.int_or(h.get("refunded")),
            refunding=f.int_or(h.get("refunding")),
            paid_micro=f.opt_int(h.get("paid_micro")),
            stripe_fee=f.opt_int(h.get("stripe_fee")),
            checkout_url=f.opt_text(h.get("checkout_url")),
            session=f.opt_text(h.get("session")),
            payment_intent=f.opt_text(h.get("payment_intent")),
            charge=f.opt_text(h.get("charge")),
            error=f.opt_text(h.get("error")),
            delivery=f.opt_text(h.get("delivery")),
            created_at=f.opt_int(h.get("created_at")),
            paid_at=f.opt_int(h.get("paid_at")),
        )

    @property
    def delivered(self) -> dict[str, Any] | None:
        """What fulfilment delivered (an API key, a grant); None before it did."""
        value = json.loads(self.delivery) if self.delivery else None
        return value if isinstance(value, dict) else None
