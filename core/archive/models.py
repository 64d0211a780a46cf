"""What goes into the archive and what comes out: one model per table, checked at the boundary.

Times are Unix milliseconds (as in Redis), money is integer micro-USD. JSON-like fields are kept
as Python values here and stored as compact JSON text, so both backends hold the same bytes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.archive.stream_ids import STREAM_ID, stream_id_millis
from core.models.job import JobStatus

MoneyKind = Literal["payout", "purchase", "refund", "dispute"]
MONEY_KINDS: tuple[MoneyKind, ...] = ("payout", "purchase", "refund", "dispute")

Millis = int  # Unix time in milliseconds
MicroUsd = int


class ArchiveModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchivedJob(ArchiveModel):
    """A finished job: the columns the archive filters on, and the rest of its record."""

    id: str = Field(min_length=1)
    status: JobStatus
    creator: str = Field(min_length=1)
    node: str | None = None
    created_at: Millis = Field(ge=0)
    finished_at: Millis | None = Field(default=None, ge=0)
    cost: MicroUsd | None = Field(default=None, description="What the job was billed, µUSD.")
    record: dict[str, Any] = Field(
        default_factory=dict,
        description="The rest of the job's fields (task, attempts, shares, …), as the archiver "
        "chose to keep them; large inputs are referenced by CID, not inlined.",
    )
    history: list[str] = Field(default_factory=list)
    result: Any = None
    logs: list[str] = Field(default_factory=list)


class Posting(ArchiveModel):
    """One ledger journal entry: all its legs were posted together, once per idempotency key."""

    id: str = Field(pattern=STREAM_ID, description="The journal entry's stream id, 'ms-seq'.")
    idem: str = Field(min_length=1)
    kind: str = ""
    ref: str = ""
    legs: list[list[Any]] = Field(description="[from, to, amount µUSD, label] per leg.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def at(self) -> Millis:
        """When it was posted: the stream id's milliseconds."""
        return stream_id_millis(self.id)


class MoneyRecord(ArchiveModel):
    """A payout, purchase, refund or dispute in its final state."""

    kind: MoneyKind
    id: str = Field(min_length=1)
    at: Millis = Field(ge=0, description="When it reached its final state.")
    record: dict[str, Any]


class AuditEntry(ArchiveModel):
    id: str = Field(pattern=STREAM_ID, description="The audit stream entry id, 'ms-seq'.")
    entry: dict[str, Any]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def at(self) -> Millis:
        return stream_id_millis(self.id)


class Recording(ArchiveModel):
    """A snapshot of one pool at one moment, for replay, as the codec compressed it
    (core/reads/recording.py): alone, or against the keyframe recorded at `keyframe`."""

    pool: str = Field(min_length=1)
    at: Millis = Field(ge=0)
    keyframe: Millis | None = None
    snapshot: bytes


class JobQuery(ArchiveModel):
    """Filters for `Archive.list_jobs`: newest first, strictly before `before` (created_at)."""

    status: JobStatus | None = None
    creator: str | None = None
    node: str | None = None
    before: Millis | None = None
    limit: int = Field(default=50, ge=1, le=10_000)


class TableStatus(ArchiveModel):
    rows: int
    oldest: Millis | None
    newest: Millis | None


class ArchiveStatus(ArchiveModel):
    """What `lcn archive status` shows."""

    backend: Literal["sqlite", "postgresql"]
    url: str = Field(description="Where the archive is, without a password.")
    schema_version: int
    size_bytes: int
    tables: dict[str, TableStatus]
