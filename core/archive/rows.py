"""Models to table rows and back: compact JSON text, packed stream ids, zstd snapshots."""

from __future__ import annotations

import json
from typing import Any

import zstandard
from sqlalchemy import RowMapping

from core.archive.models import ArchivedJob, AuditEntry, MoneyRecord, Posting, Recording
from core.archive.stream_ids import pack_stream_id, unpack_stream_id

ZSTD_LEVEL = 9  # snapshots are written once and read rarely: spend the time to make them small


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _dumps_or_null(value: Any) -> str | None:
    """Empty lists and missing results cost nothing on disk (NULL)."""
    return None if value is None or value == [] else dumps(value)


def _loads_or(text: str | None, default: Any) -> Any:
    return default if text is None else json.loads(text)


def job_row(job: ArchivedJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "creator": job.creator,
        "node": job.node,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "cost": job.cost,
        "record": dumps(job.record),
        "history": _dumps_or_null(job.history),
        "result": None if job.result is None else dumps(job.result),
        "logs": _dumps_or_null(job.logs),
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
        record=json.loads(row["record"]),
        history=_loads_or(row["history"], []),
        result=_loads_or(row["result"], None),
        logs=_loads_or(row["logs"], []),
    )


def posting_row(posting: Posting) -> dict[str, Any]:
    return {
        "id": pack_stream_id(posting.id),
        "idem": posting.idem,
        "kind": posting.kind,
        "ref": posting.ref,
        "legs": dumps(posting.legs),
    }


def posting_from_row(row: RowMapping) -> Posting:
    return Posting(
        id=unpack_stream_id(row["id"]),
        idem=row["idem"],
        kind=row["kind"],
        ref=row["ref"],
        legs=json.loads(row["legs"]),
    )


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
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(recording.snapshot)
    return {"at": recording.at, "snapshot": compressed}


def recording_from_row(row: RowMapping) -> Recording:
    snapshot = zstandard.ZstdDecompressor().decompress(row["snapshot"])
    return Recording(at=row["at"], snapshot=snapshot)
