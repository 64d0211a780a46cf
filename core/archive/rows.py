"""Models to table rows and back: compact JSON text, packed stream ids, zstd snapshots."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import zstandard
from sqlalchemy import RowMapping

from core.archive.models import ArchivedJob, AuditEntry, MoneyRecord, Posting, Recording
from core.archive.stream_ids import pack_stream_id, unpack_stream_id
from core.errors import SetupError

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


# Each row is compressed alone (any row is read without its neighbours), so on its own a row of
# a few hundred bytes keeps its field names and phrases. A dictionary of typical rows (jobs
# failed, cancelled, completed and a no-op; a hold, settle and release posting) gives zstd those
# in advance: a no-op job's body goes from ~580 to ~170 bytes, a posting's from ~170 to ~115.
# A row compressed with it starts with ROW_DICT_V1; rows written before it are plain zstd frames
# (magic 28 b5 2f fd), read as before. The file is part of the format: never edit it — a better
# dictionary is a v2 beside it, with its own mark.
ROW_DICT_V1 = b"\x01"
_DICT_FILE = Path(__file__).with_name("row_dictionary_v1.jsonl")
_DICT_SHA256 = "b016575cfdfa7cb02baf14f585307d0cac460963c1d3afe8128e5d213e2c1ce7"

# zstd contexts cost more to make than a row takes to compress: keep one per thread (a context
# must not be used by two threads at once).
_contexts = threading.local()


@functools.cache
def _dictionary() -> zstandard.ZstdCompressionDict:
    data = _DICT_FILE.read_bytes()
    if hashlib.sha256(data).hexdigest() != _DICT_SHA256:
        raise SetupError(
            f"{_DICT_FILE} is not the dictionary archived rows were written with: reinstall lcn."
        )
    return zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def _row_compressor() -> zstandard.ZstdCompressor:
    if not hasattr(_contexts, "compressor"):
        # No checksum: the database pages have their own integrity, and 4 bytes a row add up.
        _contexts.compressor = zstandard.ZstdCompressor(
            level=ROW_LEVEL, write_checksum=False, dict_data=_dictionary()
        )
    compressor: zstandard.ZstdCompressor = _contexts.compressor
    return compressor


def _decompressor(with_dictionary: bool) -> zstandard.ZstdDecompressor:
    name = "dict_decompressor" if with_dictionary else "decompressor"
    if not hasattr(_contexts, name):
        made = zstandard.ZstdDecompressor(dict_data=_dictionary() if with_dictionary else None)
        setattr(_contexts, name, made)
    decompressor: zstandard.ZstdDecompressor = getattr(_contexts, name)
    return decompressor


def _compress(text: str) -> bytes:
    return ROW_DICT_V1 + _row_compressor().compress(text.encode())


def _decompress(data: bytes) -> str:
    if data[:1] == ROW_DICT_V1:
        return _decompressor(True).decompress(data[1:]).decode()
    return _decompressor(False).decompress(data).decode()


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
