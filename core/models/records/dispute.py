"""The dispute hash (`dispute:<id>`): a buyer's chargeback, held in `disputes` until it closes.
Micro-USD, Unix ms."""

from __future__ import annotations

from pydantic import Field

from core.models.records.base import Record


class DisputeRecord(Record):
    dispute_id: str = Field(validation_alias="id")
    purchase_id: str = Field(validation_alias="purchase")
    charge: str | None
    amount: int
    fee: int
    origin: str
    from_origin: int  # the part of the amount held from the origin account (the rest: platform)
    fee_back: int
    status: str
    created_at: int | None
    closed_at: int | None
