"""What every read returns to the console: plain frozen models, and a page of a table."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

RowT = TypeVar("RowT")

# Entries a column sort or a text search examines per poll, at most. Each costs one HMGET inside
# a Lua script, which blocks the server while it runs: measured on a loaded 2-core machine,
# 5,000 entries took ~40 ms and 10,000 ~65–180 ms (jobs, nodes), so 5,000 it is, and a larger
# index is sorted or searched among its newest 5,000 (the console says so).
SEARCH_BUDGET = 5_000


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
    values: list[float] | None = Field(
        default=None,
        exclude=True,
        description="A sorted read's sort value of each row: what merges slices read in turn.",
    )
