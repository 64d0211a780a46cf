"""What every read returns to the console: plain frozen models, and a page of a table."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

RowT = TypeVar("RowT")


class Model(BaseModel):
    """Snapshot models are plain data for the console: snake_case, frozen, no wire aliases."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(Model, Generic[RowT]):
    rows: list[RowT]
    total: int
    offset: int
    exact: bool = Field(default=True, description="False when a filter scan hit its budget.")
    scanned: int = 0
    matched: int | None = Field(
        default=None, description="Rows a sort or search found among those scanned."
    )
