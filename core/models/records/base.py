"""What every record model shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A Redis hash decoded: snake_case, frozen, plain data (no wire aliases)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
