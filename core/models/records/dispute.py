"""The dispute hash (`dispute:<id>`): a buyer's chargeback, held in `disputes` until it closes.
Micro-USD, Unix ms."""

from __future__ import annotations

from typing import Self

from core.models.records import fields as f
from core.models.records.base import Record


class DisputeRecord(Record):
    dispute_id: str
    purchase_id: str
    charge: str | None
    amount: int
    fee: int
    origin: str
    from_origin: int  # the part of the amount held from the origin account (the rest: platform)
    fee_back: int
    status: str
    created_at: int | None
    closed_at: int | None

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls(
            dispute_id=f.text(h.get("id")) or "",
            purchase_id=f.text(h.get("purchase")) or "",
            charge=f.opt_text(h.get("charge")),
            amount=f.int_or(h.get("amount")),
            fee=f.int_or(h.get("fee")),
            origin=f.text(h.get("origin")) or "",
            from_origin=f.int_or(h.get("from_origin")),
            fee_back=f.int_or(h.get("fee_back")),
            status=f.text(h.get("status")) or "",
            created_at=f.opt_int(h.get("created_at")),
            closed_at=f.opt_int(h.get("closed_at")),
        )
