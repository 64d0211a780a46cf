"""The durable history store: finished jobs, ledger postings, final money records, audit
entries, blobs by CID and recordings — SQLite by default (a file in the data dir), PostgreSQL at
LCN_ARCHIVE_URL for several hosts. One schema (schema.py, SQLAlchemy 2 Core on async drivers),
versioned by a small migration runner of our own rather than alembic (migrations.py says why:
no ini/env.py/script directory to ship as package data, no sync-only runner to wrap, and a
schema_version table applied under a lock so several hosts can open a new archive at once)."""

from core.archive.archive import Archive, check_blob
from core.archive.models import (
    ArchivedJob,
    ArchiveStatus,
    AuditEntry,
    MoneyRecord,
    Posting,
    Recording,
    TableStatus,
)

__all__ = [
    "Archive",
    "ArchiveStatus",
    "ArchivedJob",
    "AuditEntry",
    "MoneyRecord",
    "Posting",
    "Recording",
    "TableStatus",
    "check_blob",
]
