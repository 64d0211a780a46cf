"""Shared model configuration: camelCase on the wire, unknown fields refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

# Decimals inside (exact), JSON numbers on the wire (what the published API shows).
JsonDecimal = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class WireModel(BaseModel):
    """A model that crosses a boundary: camelCase JSON, strict about unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def wire(self) -> dict[str, object]:
        """The published JSON shape (camelCase)."""
        return self.model_dump(mode="json", by_alias=True)


def ms_to_datetime(ms: int | None) -> datetime | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
