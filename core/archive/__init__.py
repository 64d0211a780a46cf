"""The durable history store: finished jobs, ledger postings, final money records, audit
entries, blobs by CID and recordings — SQLite by default, PostgreSQL for several hosts."""

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
