"""What every `lcn` command shares: settings from flags, one Store per command, errors as one
sentence on stderr with a non-zero exit, and JSON output in the API's camelCase."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from core.config import Settings, load_settings
from core.errors import LcnError
from core.store import Store, connect

T = TypeVar("T")

EXIT_REFUSED = 1
EXIT_UNAVAILABLE = 3


class Context:
    """Global options, set once by the root callback."""

    redis_url: str | None = None
    pool: str | None = None

    @classmethod
    def settings(cls) -> Settings:
        try:
            return load_settings(redis_url=cls.redis_url, pool=cls.pool)
        except ValidationError as exc:
            fail(describe_validation_error(exc))


def describe_validation_error(exc: ValidationError) -> str:
    """Pydantic's report as one sentence: where, what, and how many more."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "input"
    message = str(first["msg"]).removeprefix("Value error, ")
    extra = len(errors) - 1
    more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
    return f"{where}: {message}{more}."


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def run(work: Callable[[Store], Awaitable[T]], settings: Settings | None = None) -> T:
    """Connect, do the work, close; every refusal becomes one sentence and a non-zero exit."""

    async def main() -> T:
        store = await connect(settings or Context.settings())
        try:
            return await work(store)
        finally:
            await store.close()

    try:
        return asyncio.run(main())
    except LcnError as exc:
        fail(str(exc))
    except ValidationError as exc:
        fail(describe_validation_error(exc))
    except (RedisError, OSError) as exc:
        fail(f"Redis is unreachable ({exc}).", EXIT_UNAVAILABLE)


def emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    elif isinstance(value, list):
        value = [
            v.model_dump(mode="json", by_alias=True) if isinstance(v, BaseModel) else v
            for v in value
        ]
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


def table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain aligned table: readable over SSH, greppable, no colour codes in pipes."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    typer.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
