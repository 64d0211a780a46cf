"""The one place micro-USD meet Stripe's cents: exact integer conversion, never floats."""

from __future__ import annotations

from core.errors import InvalidInput

MICRO_PER_CENT = 10_000


def whole_cents(micro: int) -> tuple[int, int]:
    """(cents, remainder in micro-USD): what can be paid out now and what stays behind."""
    if micro < 0:
        raise InvalidInput("An amount of money to send cannot be negative.")
    return divmod(micro, MICRO_PER_CENT)


def to_cents(micro: int) -> int:
    """Cents for an amount that must already be whole cents (a price, a refund)."""
    cents, rest = whole_cents(micro)
    if rest:
        raise InvalidInput("Stripe moves whole cents; round the amount to a cent.")
    return cents


def to_micro(cents: int) -> int:
    return cents * MICRO_PER_CENT
