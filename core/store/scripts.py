"""Lua scripts: one `.lua` file per state change, loaded once, called by EVALSHA.

A script may start with `--!include name` lines; the loader inlines `lua/include/name.lua` there
so shared helpers (ledger posting, node indexing) are written once. Ahead of every script the
loader puts the shared constants and the key functions `K` generated from core/store/keys.py
(`K.job(id)`, `K.nodes_all()`), so Lua never spells a key name itself. Every script receives the
pool's key prefix as ARGV[1] (K's functions read it) and its main key as KEYS[1]: in a Redis
Cluster KEYS[1] routes the call to the pool's slot, and all other keys it touches carry the same
`{pool}` hash tag.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any

from redis.exceptions import NoScriptError, ResponseError

from core.errors import Conflict, InvalidInput, LcnError, NotFound, RecordArchived
from core.store.keys import lua_include
from core.store.series import LUA_CONSTANTS

LUA_PACKAGE = "core.store.lua"
# Numbers Python and Lua must agree on, declared once in Python (core.store.series).
LUA_PRELUDE = "local {} = {}".format(
    ", ".join(LUA_CONSTANTS), ", ".join(str(v) for v in LUA_CONSTANTS.values())
)


# A key function the script calls: K.job(…), K.nodes_all().
_KEY_CALL = re.compile(r"\bK\.(\w+)\(")


def prelude(body: str | None = None) -> str:
    """What a script starts with: the shared constants and the key functions `K` its `body`
    calls (all of them without a body). Only those: defining all of them costs each call
    about 10 µs in Redis, several times a small script's own work."""
    used = None if body is None else _KEY_CALL.findall(body)
    return LUA_PRELUDE + "\n" + lua_include(used)


@cache
def script_source(name: str) -> str:
    root = resources.files(LUA_PACKAGE)
    lines = []
    for line in (root / f"{name}.lua").read_text().splitlines():
        if line.startswith("--!include "):
            include = line.split(maxsplit=1)[1].strip()
            lines.append((root / "include" / f"{include}.lua").read_text())
        else:
            lines.append(line)
    body = "\n".join(lines)
    return prelude(body) + "\n" + body + "\n"


def script_names() -> list[str]:
    root = resources.files(LUA_PACKAGE)
    return sorted(p.name[:-4] for p in root.iterdir() if p.name.endswith(".lua"))


@cache
def sha_of(name: str) -> str:
    return hashlib.sha1(script_source(name).encode()).hexdigest()


# Scripts refuse by returning {err = "kind|one sentence"}; the kind picks the exception.
_ERROR_KINDS: dict[str, type[LcnError]] = {
    "not_found": NotFound,
    "conflict": Conflict,
    "invalid": InvalidInput,
    "archived": RecordArchived,
}


# A helper deep in a script (lib.lua's post_legs) cannot return a refusal; it raises one with
# Lua's error(), which Redis wraps as "Error running script (call to f_…): kind|sentence".
_RAISED = re.compile(r"Error running script \(call to f_[0-9a-f]+\): (?:@\S+ )?(\w+)\|(.*)\Z", re.S)


def raise_script_error(exc: ResponseError) -> None:
    text = str(exc)
    kind, sep, message = text.partition("|")
    if sep and kind in _ERROR_KINDS:
        raise _ERROR_KINDS[kind](message) from None
    raised = _RAISED.search(text)
    if raised and raised[1] in _ERROR_KINDS:
        raise _ERROR_KINDS[raised[1]](raised[2]) from None
    raise exc


def decode_reply(reply: Any) -> Any:
    """Scripts that return structured data return one JSON string."""
    if isinstance(reply, bytes):
        reply = reply.decode()
    if isinstance(reply, str) and reply[:1] in ("{", "["):
        return json.loads(reply)
    return reply


async def load_all(redis: Any) -> None:
    """SCRIPT LOAD every script (on a cluster, on every primary)."""
    for name in script_names():
        await redis.script_load(script_source(name))


def is_noscript(reply: object) -> bool:
    """Whether a reply (or raised error) says the server does not have the script (NOSCRIPT):
    redis-py raises NoScriptError for a plain call and may hand a pipeline's as ResponseError."""
    return isinstance(reply, NoScriptError) or (
        isinstance(reply, ResponseError) and "NOSCRIPT" in str(reply)
    )


async def send_reloading_scripts(
    redis: Any, scripts: Sequence[str | None], send: Callable[[], Awaitable[list[Any]]]
) -> list[Any]:
    """Send commands whose replies come back in order, errors in place; `scripts[i]` names the
    script the i-th command runs by EVALSHA (None: not a script). After a Redis restart the
    scripts are gone (NOSCRIPT): load the missing ones and send once more. Every EVALSHA caller
    goes through here, so the reload is written once."""
    replies = await send()
    missing = {
        name for name, reply in zip(scripts, replies, strict=True) if name and is_noscript(reply)
    }
    if not missing:
        return replies
    for name in sorted(missing):
        await redis.script_load(script_source(name))
    return await send()


async def call(redis: Any, name: str, keys: list[str], args: list[Any]) -> Any:
    """EVALSHA `name`; after a Redis restart (NOSCRIPT) load it again and retry once."""
    sha = sha_of(name)

    async def send() -> list[Any]:
        try:
            return [await redis.evalsha(sha, len(keys), *keys, *args)]
        except ResponseError as exc:  # NoScriptError included
            return [exc]

    [reply] = await send_reloading_scripts(redis, [name], send)
    if isinstance(reply, ResponseError):
        raise_script_error(reply)
    return decode_reply(reply)
