"""The archiver's second half: the ledger journal and the audit stream, copied to the archive in
stream order and then trimmed from Redis.

Each stream's position is the newest entry the archive holds (`Archive.last_stream_id`), so the
archive itself is the cursor: nothing to lose, and a rerun copies nothing twice (rows are keyed
by their stream id). Trimming (XTRIM MINID) only ever drops entries strictly older than one the
archive already holds, so an entry leaves Redis only after it is in the archive.

The journal is copied only up to the newest trusted ledger checkpoint's position, and then
trimmed up to the older of that position and the newest archived entry (`trim_journal`, on
unless LCN_TRIM_JOURNAL=false): the ledger check goes on from its checkpoint without the trimmed
entries, and a full check (`lcn ledger check --full`, or any check without a checkpoint to
trust) reads them from the archive (core/ledger_history.py). Crash-safe by order: XTRIM runs
after the archive's transaction committed and reads the archive's newest entry afresh, so a
kill anywhere leaves every entry in Redis or the archive, and a posting no checkpoint covers is
never trimmed. The audit stream is trimmed once archived and past the window.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from core.archive import Archive, AuditEntry, Posting
from core.provenance import posting_order
from core.store import Store

log = logging.getLogger("lcn.archiver")

CHUNK = 5000


@dataclass
class StreamRun:
    postings: int = 0
    audit: int = 0
    journal_trimmed: int = 0
    audit_trimmed: int = 0


def _text(value: bytes) -> str:
    return value.decode("utf-8", "surrogateescape")


def _posting(entry_id: bytes, fields: dict[bytes, bytes]) -> Posting | None:
    """The journal entry as the archive keeps it; None when it cannot be kept faithfully."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    try:
        legs = json.loads(text.get("legs", ""))
        return Posting(
            id=_text(entry_id),
            idem=text.get("idem", ""),
            kind=text.get("kind", ""),
            ref=text.get("ref", ""),
            legs=legs,
        )
    except ValueError:  # pydantic's ValidationError is a ValueError too
        return None


def _audit(entry_id: bytes, fields: dict[bytes, bytes]) -> AuditEntry:
    return AuditEntry(id=_text(entry_id), entry={_text(k): _text(v) for k, v in fields.items()})


def _after(entry_id: str | None) -> str:
    return "-" if entry_id is None else "(" + entry_id


async def archive_journal(store: Store, archive: Archive, upto: str) -> int:
    """Copy journal entries up to the stream id `upto` (inclusive); how many were copied. Stops
    before an entry it cannot keep faithfully (logged), so trimming never passes it."""
    copied = 0
    start = _after(await archive.last_stream_id("postings"))
    while upto:
        batch = await store.redis.xrange(store.keys.journal, min=start, max=upto, count=CHUNK)
        kept: list[Posting] = []
        for entry_id, fields in batch:
            posting = _posting(entry_id, fields)
            if posting is None:
                log.error("journal entry %s cannot be archived; archiving stops there", entry_id)
                break
            kept.append(posting)
        await archive.put_postings(kept)
        copied += len(kept)
        if len(kept) < CHUNK:
            break
        start = "(" + kept[-1].id
    return copied


async def archive_audit(store: Store, archive: Archive) -> int:
    copied = 0
    start = _after(await archive.last_stream_id("audit"))
    while True:
        batch = await store.redis.xrange(store.keys.audit, min=start, max="+", count=CHUNK)
        await archive.put_audit([_audit(entry_id, fields) for entry_id, fields in batch])
        copied += len(batch)
        if len(batch) < CHUNK:
            return copied
        start = "(" + _text(batch[-1][0])


async def trim(store: Store, key: str, archived_upto: str | None, before: str) -> int:
    """Drop the entries older than both `archived_upto` (the newest archived) and `before`;
    the entry at the lower bound itself stays."""
    if archived_upto is None:
        return 0
    floor = min(archived_upto, before, key=posting_order)
    # Exact, not "~": a run every few seconds trims a few thousand entries at most.
    trimmed: Any = await store.redis.xtrim(key, minid=floor, approximate=False)
    return int(trimmed)


async def archive_streams(
    store: Store,
    archive: Archive,
    *,
    journal_upto: str,
    audit_before_ms: int,
    trim_journal: bool = True,
) -> StreamRun:
    """Archive the journal up to `journal_upto` (a checkpoint's position; '' for none) and the
    whole audit stream; trim the audit stream before `audit_before_ms`, and the journal before
    `journal_upto` when `trim_journal`."""
    run = StreamRun()
    run.postings = await archive_journal(store, archive, journal_upto)
    run.audit = await archive_audit(store, archive)
    run.audit_trimmed = await trim(
        store, store.keys.audit, await archive.last_stream_id("audit"), f"{audit_before_ms}-0"
    )
    if trim_journal and journal_upto:
        run.journal_trimmed = await trim(
            store, store.keys.journal, await archive.last_stream_id("postings"), journal_upto
        )
    return run
