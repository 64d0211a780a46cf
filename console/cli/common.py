"""What every `lcn` command shares: settings from flags, one Store per command, errors as one
sentence on stderr with a non-zero exit (with `--json`, `{"error": {"code", "message"}}` on
stdout and the same exit), ids given whole or as a unique tail, and JSON output in the API's
camelCase."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Literal, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from redis.exceptions import OutOfMemoryError, RedisError

from core.config import Settings, load_settings
from core.errors import InvalidInput, LcnError, NotFound
from core.store import Store, connect

T = TypeVar("T")

EXIT_REFUSED = 1
EXIT_UNAVAILABLE = 3
EXIT_USAGE = 2


class Context:
    """Global options, set once by the root callback; `json` is set when the command line asks
    for `--json`, so that failures are reported as JSON too."""

    redis_url: str | None = None
    pool: str | None = None
    json: bool = False
    emitted: bool = False  # JSON already written: a failure after it goes to stderr

    @classmethod
    def settings(cls) -> Settings:
        try:
            return load_settings(redis_url=cls.redis_url, pool=cls.pool)
        except ValidationError as exc:
            fail(describe_validation_error(exc), code="invalid")


def describe_validation_error(exc: ValidationError) -> str:
    """Every problem pydantic found, by the wire's field names, as one sentence."""
    return describe_problems(list(exc.errors()))


_SHAPE_ERRORS = {"model_type", "model_attributes_type", "dict_type", "is_instance_of"}


def describe_problems(errors: list[Any]) -> str:
    """`creatorPKP: field required; task.requirements.cpu: …` — each problem where it is in the
    submitted JSON (the wire's camelCase names, as pydantic's aliases give them), never the name
    of one of our classes."""
    if not errors:
        return "The input is not valid."
    parts: list[str] = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ())) or "the input"
        if error.get("type") in _SHAPE_ERRORS:
            message = "should be a JSON object"
        elif error.get("type") == "missing":
            message = "is required"
        else:
            message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
            message = message[:1].lower() + message[1:]
        parts.append(f"{where}: {message.rstrip('.')}")
    count = len(parts)
    lead = "1 problem" if count == 1 else f"{count} problems"
    return f"{lead}: " + "; ".join(parts) + "."


def fail(message: str, exit_code: int = EXIT_REFUSED, code: str | None = None) -> NoReturn:
    """One sentence and a non-zero exit: on stderr, or with `--json` as
    `{"error": {"code", "message"}}` on stdout (same exit either way) — unless the command has
    already written its JSON (a failed check's report), which stays the only document there."""
    if Context.json and not Context.emitted:
        kind = code or {EXIT_UNAVAILABLE: "unavailable", EXIT_USAGE: "usage"}.get(
            exit_code, "refused"
        )
        sys.stdout.write(json.dumps({"error": {"code": kind, "message": message}}) + "\n")
        sys.stdout.flush()
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(exit_code)


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
        fail(str(exc), code=exc.code)
    except ValidationError as exc:
        fail(describe_validation_error(exc), code="invalid")
    except OutOfMemoryError:
        fail(
            "Redis is out of memory and refused the write; nothing changed (raise "
            "LCN_REDIS_MAXMEMORY and restart the server, or retry once it has room).",
            EXIT_UNAVAILABLE,
        )
    except (RedisError, OSError) as exc:
        fail(f"Redis is unreachable ({exc}).", EXIT_UNAVAILABLE)


TAIL_LIMIT = 10  # matches counted before a tail is called ambiguous
WHOLE_ID_LENGTH = 59  # our ids are CIDv1 strings, `bafyrei` + 52 more characters
_GLOB_SPECIAL = str.maketrans({c: "\\" + c for c in "*?[]\\^"})


async def full_id(store: Store, given: str, what: Literal["job", "node"]) -> str:
    """The id `given` names: itself when it is a whole id in the pool, else the one id that ends
    with it (the console shows ids as tails like `…jwiahmwu`; the `…` may be kept). The lookup is
    one ZSCAN of the pool's index, stopping once it is ambiguous."""
    text = given.strip().lstrip("…").strip()
    if not text:
        raise InvalidInput(f"A {what} id is needed, got {given!r}.")
    index = store.keys.jobs_all if what == "job" else store.keys.nodes_all
    if len(text) >= WHOLE_ID_LENGTH or await store.redis.zscore(index, text) is not None:
        return text  # a whole id: the command itself says if it is unknown or malformed
    found: list[str] = []
    async for member, _ in store.redis.zscan_iter(
        index, match="*" + text.translate(_GLOB_SPECIAL), count=1000
    ):
        name = member.decode() if isinstance(member, bytes) else str(member)
        if name not in found:
            found.append(name)
        if len(found) >= TAIL_LIMIT:
            break
    if not found and what == "job":
        # A finished job may have moved to the archive (imported here: its drivers load only
        # when a tail is not found live).
        from core import archived_jobs

        found = await archived_jobs.ids_ending(store, text, TAIL_LIMIT)
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(f"No {what} id in pool {store.pool} is or ends with {text!r}.")
    many = f"{len(found)}" if len(found) < TAIL_LIMIT else f"{TAIL_LIMIT} or more"
    raise InvalidInput(
        f"{text!r} is the tail of {many} {what} ids in pool {store.pool}; give more of the id."
    )


def emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True)
    elif isinstance(value, list):
        value = [
            v.model_dump(mode="json", by_alias=True) if isinstance(v, BaseModel) else v
            for v in value
        ]
    sys.stdout.write(json.dumps(value, indent=2) + "\n")
    Context.emitted = True


def table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain aligned table: readable over SSH, greppable, no colour codes in pipes."""
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    typer.echo("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
