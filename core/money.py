"""Money: integer micro-USD inside, USD decimals only at the edges."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

MICRO_PER_USD = 1_000_000
MAX_MICRO = 2**53  # amounts at or above it are not exact in Lua's doubles
NODE_SHARE_PERCENT = 70


def split(total_micro: int) -> tuple[int, int]:
    """(node, platform) parts of a charge; they always sum to the whole."""
    node = total_micro * NODE_SHARE_PERCENT // 100
    return node, total_micro - node


def usd_to_micro(amount: Decimal | int | str | float) -> int:
    """USD to micro-USD. Floats pass through their shortest decimal form, never binary maths."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValueError(f"{amount!r} is not an amount of money") from exc
    if not value.is_finite():
        raise ValueError(f"{amount!r} is not an amount of money")
    if abs(value) * MICRO_PER_USD >= MAX_MICRO:  # not exact in Lua, which posts to the ledger
        raise ValueError(f"{amount!r} USD is too large: amounts stay below 2^53 micro-USD")
    return int((value * MICRO_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def micro_to_usd(micro: int) -> Decimal:
    return Decimal(micro) / MICRO_PER_USD


def micro_to_json(micro: int) -> float:
    """USD as a JSON number for the published API; exact to the cent and shortest to print."""
    return float(micro_to_usd(micro))


def format_usd(micro: int) -> str:
    """Human display: $1,234.56, with sub-cent amounts shown to the micro-dollar."""
    usd = micro_to_usd(micro)
    if micro != 0 and abs(micro) < 10_000:
        return f"${usd:,.6f}".rstrip("0")
    return f"${usd:,.2f}".replace("$-", "-$")


DEFAULT_CREDIT_LIMIT = "10"  # USD a creator may owe while payments are off
UNLIMITED = "unlimited"


def parse_credit_limit(value: str | Decimal | int | None) -> int | None:
    """LCN_CREDIT_LIMIT (USD, or "unlimited") as micro-USD; None when unlimited."""
    text = str(DEFAULT_CREDIT_LIMIT if value is None else value).strip()
    if text.lower() == UNLIMITED:
        return None
    try:
        micro = usd_to_micro(text)
    except ValueError:
        micro = -1
    if not 0 <= micro < MAX_MICRO:
        raise ValueError(
            f"LCN_CREDIT_LIMIT must be a non-negative amount of USD or {UNLIMITED!r}, not {text!r}."
        )
    return micro
