"""Strict validation of the network's published request bodies (from core/models, whose
config is lax so that core code can build them from Redis values)."""

from __future__ import annotations

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


async def strictly(request: Request, model: type[M]) -> M:
    """Validate the raw body strictly: FastAPI has already checked its shape, this refuses
    coercions (`0` for `false`, `"5"` for `5`)."""
    return model.model_validate_json(await request.body(), strict=True)
