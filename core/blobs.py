"""Large job values kept out of Redis: a task's input or code, or a result, above LCN_INLINE_MAX
bytes is stored once by the CID of its bytes in the archive's `blobs` table, and the job's
hash holds the CID.

Why the archive: it is the one store every host of a network already shares (SQLite in the data
dir on one host, PostgreSQL for several), it is where the archiver would put these bytes anyway,
and its `blobs` table is keyed by CID, so a value submitted twice is kept once.

How a job's hash refers to them:
* `task` is the task's JSON without its large `input` and/or `code`; `input_cid` names the
  input's compact JSON bytes, `code_cid` the code's UTF-8 bytes;
* `result` is '' and `result_cid` (always set) names the result's JSON bytes;
* a shard's partial result is `@<cid>` in its parent's partials hash (never JSON).

When the archive cannot be opened or written, the values stay inline (as before this existed):
jobs go on, Redis holds more, a warning is logged; readers take either form.

Order: a submission is created with its task inline; once the network has accepted it, its
large values are written (and committed) and then the job is pointed at them (`offload_task`),
so a refused submission never leaves bytes behind (else anyone could fill the archive with
submissions they cannot pay for). A result is written before the completion that refers to it.
A crash in between leaves at worst an unreferenced blob, which is harmless; nothing collects
those. Every read checks the bytes against their CID and refuses a blob that does not match: the
database is not trusted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from redis.exceptions import ResponseError
from sqlalchemy.exc import SQLAlchemyError

from core.errors import Corrupt, NotFound, SetupError
from core.ids import bytes_cid
from core.store import Store

INPUT_CID = "input_cid"
CODE_CID = "code_cid"
log = logging.getLogger("lcn.blobs")
PARTIAL_REF = "@"  # a partial that is a CID, not JSON: no JSON text starts with it


def inline_max(store: Store) -> int | None:
    """The size above which values go to the blob table; None keeps everything inline (a
    store made without an archive handle, as some tools build)."""
    return None if store.archive is None else store.archive.inline_max


def _compact(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def stash_task(fields: dict[str, Any], limit: int | None) -> dict[str, bytes]:
    """Take a submission's large input and code out of its `task` field (in place) and say
    which bytes to store under which CID. A small task is left untouched at the cost of one
    length check, so small jobs pay nothing."""
    task_json: str = fields["task"]
    if limit is None or len(task_json) <= limit:
        return {}
    task = json.loads(task_json)
    found: dict[str, bytes] = {}
    if "input" in task:
        data = _compact(task["input"])
        if len(data) > limit:
            fields[INPUT_CID] = bytes_cid(data)
            found[fields[INPUT_CID]] = data
            del task["input"]
    code = task.get("code")
    if isinstance(code, str) and len(code) > limit // 4 and len(code.encode()) > limit:
        data = code.encode()
        fields[CODE_CID] = bytes_cid(data)
        found[fields[CODE_CID]] = data
        del task["code"]
    if found:
        fields["task"] = json.dumps(task, separators=(",", ":"))
    return found


def stash_result(encoded: bytes, limit: int | None) -> tuple[str, dict[str, bytes]]:
    """A result's `result` field (its JSON, or '' when it is kept by CID) and what to store."""
    if limit is None or len(encoded) <= limit:
        return encoded.decode(), {}
    return "", {bytes_cid(encoded): encoded}


async def put(store: Store, found: Mapping[str, bytes]) -> bool:
    """Store the values (each once, in one transaction) before anything refers to them. False
    when the archive cannot be opened or written: the caller keeps the values inline, so an
    archive that is down never stops jobs (Redis holds more until it is back; logged)."""
    if not found:
        return True
    if store.archive is None:
        return False
    try:
        archive = await store.archive.for_writing()
        await archive.put_blobs(dict(found))
    except SetupError as exc:
        log.warning("large values stay inline in Redis: %s", exc)
        return False
    except (OSError, SQLAlchemyError) as exc:
        log.warning("large values stay inline in Redis: the archive refused them: %s", exc)
        return False
    return True


async def fetch(store: Store, cids: Iterable[str]) -> dict[str, bytes]:
    """The bytes of each CID, checked against it; a missing or altered blob is refused."""
    wanted = sorted(set(cids))
    if not wanted:
        return {}
    archive = None if store.archive is None else await store.archive.get()
    found = {} if archive is None else await archive.get_blobs(wanted)
    if len(found) < len(wanted):
        found.update(await _legacy(store, [cid for cid in wanted if cid not in found]))
    for cid in wanted:
        data = found.get(cid)
        if data is None:
            where = "the archive" if archive is not None else "this host's archive (none opens)"
            raise NotFound(f"The blob {cid} is not in {where}.")
        if bytes_cid(data) != cid:
            raise Corrupt(f"The stored blob {cid} is refused: its bytes do not match its CID.")
    return found


async def _legacy(store: Store, cids: list[str]) -> dict[str, bytes]:
    """Results that an older lcn kept in Redis (`blob:<cid>`, above 64 KB, with a week's TTL)
    before this table held them: still read, and checked like the rest."""
    try:
        values = await store.redis.mget([store.keys.blob(cid) for cid in cids])
    except ResponseError:  # a Redis user without those keys (NOPERM): none to read
        return {}
    return {cid: bytes(v) for cid, v in zip(cids, values, strict=True) if v is not None}


def refs(fields: Mapping[str, str]) -> list[str]:
    """The CIDs a job's hash refers to for its task and result."""
    found = [fields[name] for name in (INPUT_CID, CODE_CID) if fields.get(name)]
    if (
        not fields.get("result")
        and fields.get("result_cid")
        and fields.get("status") in ("completed",)
    ):
        found.append(fields["result_cid"])
    return found


def task_json(
    stub: str, input_cid: str | None, code_cid: str | None, found: Mapping[str, bytes]
) -> str:
    """The task's JSON as submitted (input and code back in their places)."""
    if not input_cid and not code_cid:
        return stub
    task = json.loads(stub)
    if input_cid:
        task["input"] = json.loads(found[input_cid])
    if code_cid:
        task["code"] = found[code_cid].decode()
    return json.dumps(task, separators=(",", ":"))


def resolved_fields(fields: Mapping[str, str], found: Mapping[str, bytes]) -> dict[str, str]:
    """The hash's fields with its task and result whole (blobs from `fetch`)."""
    whole = dict(fields)
    if "task" in whole:
        whole["task"] = task_json(whole["task"], whole.get(INPUT_CID), whole.get(CODE_CID), found)
    cid = whole.get("result_cid", "")
    if not whole.get("result") and cid in found:
        whole["result"] = found[cid].decode()
    return whole


async def resolve(store: Store, fields: Mapping[str, str]) -> dict[str, str]:
    """One job's fields with its large values read back (a job read: CLI, HTTP, detail)."""
    return (await resolve_many(store, [fields]))[0]


async def resolve_many(store: Store, many: list[Mapping[str, str]]) -> list[dict[str, str]]:
    """Several jobs' fields with their large values, read in one query."""
    wanted = [cid for fields in many for cid in refs(fields)]
    if not wanted:
        return [dict(fields) for fields in many]
    found = await fetch(store, wanted)
    return [resolved_fields(fields, found) for fields in many]


def partial_ref(text: str) -> str | None:
    """The CID of a shard's partial result kept as a blob; None for an inline (JSON) one."""
    return text[len(PARTIAL_REF) :] if text.startswith(PARTIAL_REF) else None
