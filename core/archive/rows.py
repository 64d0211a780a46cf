"""Models to table rows and back: compact JSON text, packed stream ids, zstd snapshots."""

from __future__ import annotations

import json
import threading
from typing import Any

import zstandard
from sqlalchemy import RowMapping

from core.archive.models import ArchivedJob, AuditEntry, MoneyRecord, Posting, Recording
from core.archive.stream_ids import pack_stream_id, unpack_stream_id

# Rows of a few hundred bytes compress no better at higher levels, only slower (3: ~10 µs).
# Recordings come compressed by their codec (core/reads/recording.py).
ROW_LEVEL = 3
# A job's fields that are not columns of their own, stored together in its compressed body.
JOB_BODY = {"record", "history", "result", "logs"}
POSTING_BODY = {"idem", "ref", "legs"}


def dumps(value: Any) -> str:
    """Compact JSON, ASCII-only: a lone surrogate (valid in a JSON string escape, not in UTF-8
    or PostgreSQL text) is kept as its escape instead of failing the whole batch."""
    return json.dumps(value, separators=(",", ":"))


# zstd contexts cost more to make than a row takes to compress: keep one per thread (a context
# must not be used by two threads at once).
_contexts = threading.local()


def _row_compressor() -> zstandard.ZstdCompressor:
    if not hasattr(_contexts, "compressor"):
        # No checksum: the database pages have their own integrity, and 4 bytes a row add up.
        _contexts.compressor = zstandard.ZstdCompressor(level=ROW_LEVEL, write_checksum=False)
    compressor: zstandard.ZstdCompressor = _contexts.compressor
    return compressor


def _decompressor() -> zstandard.ZstdDecompressor:
    if not hasattr(_contexts, "decompressor"):
        _contexts.decompressor = zstandard.ZstdDecompressor()
    decompressor: zstandard.ZstdDecompressor = _contexts.decompressor
    return decompressor


def _compress(text: str) -> bytes:
    return _row_compressor().compress(text.encode())


def _decompress(data: bytes) -> str:
    return _decompressor().decompress(data).decode()


def job_row(job: ArchivedJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "creator": job.creator,
        "node": job.node,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "cost": job.cost,
        "body": _compress(dumps(job.model_dump(include=JOB_BODY, exclude_defaults=True))),
    }


def job_from_row(row: RowMapping) -> ArchivedJob:
    return ArchivedJob(
        id=row["id"],
        status=row["status"],
        creator=row["creator"],
        node=row["node"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        cost=row["cost"],
        **json.loads(_decompress(row["body"])),
    )


def posting_row(posting: Posting) -> dict[str, Any]:
    body = posting.model_dump(include=POSTING_BODY)
    return {"id": pack_stream_id(posting.id), "kind": posting.kind, "body": _compress(dumps(body))}


def posting_from_row(row: RowMapping) -> Posting:
    body = json.loads(_decompress(row["body"]))
    return Posting(id=unpack_stream_id(row["id"]), kind=row["kind"], **body)


def money_row(record: MoneyRecord) -> dict[str, Any]:
    return {"kind": record.kind, "id": record.id, "at": record.at, "record": dumps(record.record)}


def money_from_row(row: RowMapping) -> MoneyRecord:
    return MoneyRecord(
        kind=row["kind"], id=row["id"], at=row["at"], record=json.loads(row["record"])
    )


def audit_row(entry: AuditEntry) -> dict[str, Any]:
    return {"id": pack_stream_id(entry.id), "entry": dumps(entry.entry)}


def audit_from_row(row: RowMapping) -> AuditEntry:
    return AuditEntry(id=unpack_stream_id(row["id"]), entry=json.loads(row["entry"]))


def recording_row(recording: Recording) -> dict[str, Any]:
    return recording.model_dump()


def recording_from_row(row: RowMapping) -> Recording:
    return Recording(
        pool=row["pool"], at=row["at"], keyframe=row["keyframe"], snapshot=bytes(row["snapshot"])
    )
