"""The archive's tables, one description for SQLite and PostgreSQL (SQLAlchemy Core).

This module describes the latest schema version; `migrations.py` is what brings a database
there, and a test checks that migrating an empty database yields exactly these tables.

Compactness matters (the archive grows by every finished job): JSON is stored as compact text
(a job's and a posting's body zstd-compressed), times as integer milliseconds, and journal and
audit entries use their stream id packed into one integer as the primary key, which on SQLite
is the table's own rowid (no separate index). tests/archive/bytes_per_job.py measures it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

metadata = MetaData()

# A 64-bit integer key that is SQLite's rowid there (only a column declared exactly INTEGER is).
RowKey = BigInteger().with_variant(Integer(), "sqlite")


def _millis(name: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, BigInteger, nullable=nullable)


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    _millis("applied_at"),
    Column("description", Text, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("creator", Text, nullable=False),
    Column("node", Text),
    _millis("created_at"),
    _millis("finished_at", nullable=True),
    Column("cost", BigInteger),  # µUSD billed
    # The job's record, history, result and logs as one zstd-compressed compact JSON object:
    # together they compress to about two thirds (field names, repeated ids and phrases).
    Column("body", LargeBinary, nullable=False),
    # Every listing is newest first, so each filter's index ends in created_at.
    Index("jobs_by_time", "created_at"),
    Index("jobs_by_status", "status", "created_at"),
    Index("jobs_by_creator", "creator", "created_at"),
    Index("jobs_by_node", "node", "created_at"),
)

postings = Table(
    "postings",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=False),  # stream id ms << 20 | seq
    Column("kind", Text, nullable=False),
    # idem, ref and legs as one zstd-compressed compact JSON object: the idempotency key
    # repeats the ref and the legs repeat account names, which compression folds away.
    # Idempotency keys are not indexed: the archive dedups entries by stream id, and Redis's
    # ledger:idem refuses a repeated key at posting time; a unique index would cost ~90 bytes
    # per entry, so a later migration adds a lookup index only if keys must be found here.
    Column("body", LargeBinary, nullable=False),
)

money_records = Table(
    "money_records",
    metadata,
    Column("kind", Text, nullable=False),
    Column("id", Text, nullable=False),
    _millis("at"),
    Column("record", Text, nullable=False),
    PrimaryKeyConstraint("kind", "id", name="money_records_pk"),
    Index("money_records_by_time", "at"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", RowKey, primary_key=True, autoincrement=False),  # stream id ms << 20 | seq
    Column("entry", Text, nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("cid", Text, primary_key=True),
    _millis("stored_at"),
    Column("data", LargeBinary, nullable=False),
)

# What the console showed, every few seconds, per pool (several pools may share one archive):
# the poll snapshot as versioned JSON (core/reads/recording.py), zstd-compressed. A keyframe
# (`keyframe` NULL) is compressed alone; the recordings after it are compressed with it as the
# dictionary (`keyframe` is its time), which makes them a tenth of its size (README, "Replay").
recordings = Table(
    "recordings",
    metadata,
    Column("pool", Text, nullable=False),
    _millis("at"),
    _millis("keyframe", nullable=True),
    Column("snapshot", LargeBinary, nullable=False),  # zstd-compressed by the codec
    PrimaryKeyConstraint("pool", "at", name="recordings_pk"),
)

# The tables `status()` reports, each with the column that dates its rows.
DATED: dict[str, tuple[Table, str]] = {
    "jobs": (jobs, "created_at"),
    "postings": (postings, "id"),
    "money_records": (money_records, "at"),
    "audit": (audit, "id"),
    "blobs": (blobs, "stored_at"),
    "recordings": (recordings, "at"),
}
