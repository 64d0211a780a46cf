"""Amounts that come from outside — an operator's `--amount`, a webhook's `amount` — checked for
type, sign and size before anything is written.

Lua numbers are doubles: they hold every integer below 2^53 exactly and nothing above it, so
no amount at or above 2^53 micro-USD (about $9 billion) is ever let in. A webhook's amount must
be a JSON integer: `7.5`, `"700"`, `true` and `1e15` (a float in JSON) are refused like a
negative one, so a genuine but malformed event changes nothing and is answered 400 (Stripe
delivers it again; nothing is marked as seen or posted).
"""

from __future__ import annotations

from decimal import Decimal, Inexact, InvalidOperation, localcontext
from typing import Any, Literal

from core.errors import InvalidInput
from core.money import MAX_MICRO, MICRO_PER_USD, format_usd
from core.payments.cents import MICRO_PER_CENT

MAX_CENTS = (MAX_MICRO - 1) // MICRO_PER_CENT
MAX_REFUND_MICRO = MAX_CENTS * MICRO_PER_CENT  # the most whole cents below 2^53 micro-USD
ALL: Literal["all"] = "all"
RefundAmount = int | Literal["all"]


class StripeObjectRefused(InvalidInput):
    """A signed Stripe object whose amount (or id) is not what Stripe sends: answered 400."""


def stripe_cents(obj: dict[str, Any], name: str, *, positive: bool) -> int:
    """The whole cents in `obj[name]` of a Stripe object; refused unless a JSON integer from 0
    (1 when `positive`) to MAX_CENTS."""
    value = obj.get(name)
    low = 1 if positive else 0
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_CENTS:
        kind = obj.get("object") or "Stripe object"
        raise StripeObjectRefused(
            f"The {kind}'s {name} {value!r} is not a whole number of cents "
            f"from {low} to {MAX_CENTS}."
        )
    return value


def check_refund_micro(amount: RefundAmount) -> RefundAmount:
    """An operator's refund amount: 'all', or whole cents above 0 and below 2^53 micro-USD."""
    if amount == ALL:
        return ALL
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput("A refund amount is a whole number of micro-USD or 'all'.")
    if amount <= 0:
        raise InvalidInput("A refund amount must be more than $0.00; use --all for the rest.")
    if amount > MAX_REFUND_MICRO:
        raise InvalidInput(f"A refund amount is at most {format_usd(MAX_REFUND_MICRO)}.")
    if amount % MICRO_PER_CENT:
        raise InvalidInput("A refund is a whole number of cents, like 12.50.")
    return amount


def parse_refund_usd(text: str) -> int:
    """`--amount` as typed (`12.50`, `$12.50`): whole cents above $0 and below 2^53 micro-USD.
    Nothing is rounded: `0.0000004` is refused, not read as 0 (which once meant 'everything')."""
    cleaned = text.strip().removeprefix("$").replace(",", "")
    not_usd = InvalidInput(f"The amount {text[:40]!r} is not an amount in USD, like 12.50.")
    if len(cleaned) > 40:
        raise not_usd
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise not_usd from None
    if not value.is_finite():
        raise not_usd
    if value < 0:
        raise InvalidInput("A refund amount cannot be negative.")
    if value == 0:
        raise InvalidInput("A refund amount must be more than $0.00; use --all for the rest.")
    if value > Decimal(MAX_REFUND_MICRO) / MICRO_PER_USD:
        raise InvalidInput(f"A refund amount is at most {format_usd(MAX_REFUND_MICRO)}.")
    with localcontext() as exact:  # never round: an inexact step is a sub-cent amount
        exact.prec = 100
        exact.traps[Inexact] = True
        try:
            micro = value * MICRO_PER_USD
            sub_cent = micro % MICRO_PER_CENT != 0
        except (Inexact, InvalidOperation):
            sub_cent = True
    if sub_cent:
        raise InvalidInput(f"A refund is a whole number of cents, like 12.50, not {text}.")
    return int(micro)
