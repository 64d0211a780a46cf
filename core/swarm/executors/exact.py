"""Exact sums, so a sum computed in shards on many nodes equals the sum computed on one.

Floating-point addition is not associative: summing shards and then the shard sums can differ
in the last bits from summing everything at once. Every float is a fraction with a power-of-two
denominator, so we add exactly as integers and round only once, at the very end. Shards pass
their exact sums to each other as hexadecimal strings (JSON numbers that large lose precision
in most parsers, and Python limits how long a decimal string it converts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from core.swarm.executors.errors import ExecutionError


class TooLarge(Exception):
    """The exact result exists but does not fit in a float."""


@dataclass(frozen=True)
class ExactSum:
    total: Fraction
    has_float: bool  # the result is a float if any input was one, an int otherwise
    count: int

    @classmethod
    def of(cls, values: Iterable[int | float]) -> ExactSum:
        whole = 0
        by_denominator: dict[int, int] = {}
        has_float = False
        count = 0
        for value in values:
            count += 1
            if isinstance(value, int):
                whole += value
            else:
                has_float = True
                numerator, denominator = value.as_integer_ratio()
                by_denominator[denominator] = by_denominator.get(denominator, 0) + numerator
        # Denominators are powers of two, so the largest is a multiple of all the others.
        common = max(by_denominator, default=1)
        numerator = whole * common + sum(n * (common // d) for d, n in by_denominator.items())
        return cls(Fraction(numerator, common), has_float, count)

    def __add__(self, other: ExactSum) -> ExactSum:
        return ExactSum(
            self.total + other.total, self.has_float or other.has_float, self.count + other.count
        )

    def sum(self) -> int | float:
        if not self.has_float:
            return int(self.total)
        return _to_float(self.total, "sum")

    def mean(self) -> float:
        if self.count == 0:
            raise ExecutionError("The mean of no values is undefined.")
        return _to_float(self.total / self.count, "mean")

    def encode(self) -> dict[str, Any]:
        return {
            "sum": [hex(self.total.numerator), hex(self.total.denominator)],
            "float": self.has_float,
            "count": self.count,
        }

    @classmethod
    def decode(cls, data: Any) -> ExactSum:
        """Read back `encode()`'s output, which arrived from another node."""
        try:
            numerator, denominator = data["sum"]
            has_float, count = data["float"], data["count"]
            if not (
                isinstance(numerator, str)
                and isinstance(denominator, str)
                and isinstance(has_float, bool)
                and isinstance(count, int)
                and not isinstance(count, bool)
                and count >= 0
            ):
                raise TypeError
            return cls(Fraction(int(numerator, 16), int(denominator, 16)), has_float, count)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            raise ExecutionError("A partial result is not a valid partial sum.") from None


def _to_float(value: Fraction, what: str) -> float:
    try:
        # int / int is correctly rounded in CPython: the one rounding of the whole computation.
        return value.numerator / value.denominator
    except OverflowError:
        raise TooLarge(f"The {what} is too large to represent as a number.") from None
