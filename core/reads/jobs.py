"""The job table: one window of a state index, a node's history, or everything, with a bounded
scan when filtered by type, searched for text or sorted by a column (snapshot_jobs.lua).

Why the column sorts are bounded rather than indexed: an index per column would cost an extra
write on every job that changes cost or attempts (each completion, each retry), and every path
that drops a job (archive, trim) would have to clean it; operators sort to see what is costly
or retried *recently*. So a sort orders the newest `search_budget` jobs of the window's index
exactly, and the console labels it so ("among the newest 5,000"), or says "all" when the
index is no larger than that."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.models.records.fields import RawHash, int_or
from core.models.records.job import JobRecord
from core.reads.batch import Read, Replies, script
from core.reads.model import SEARCH_BUDGET, Model, Page
from core.reads.replies import RowMemo, script_reply, sort_values
from core.store import Store


class JobWindow(Model):
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=20, ge=1, le=500)
    status: Literal["pending", "assigned", "running", "completed", "failed", "cancelled"] | None = (
        None
    )
    job_type: Literal["code-execution", "model-inference", "data-processing"] | None = None
    node_id: str | None = None
    newest_first: bool = True
    scan_budget: int = Field(default=5_000, ge=1, le=100_000)
    sort: Literal["cost", "attempts"] | None = Field(
        default=None, description="A column to order by, largest first; None: the index's order."
    )
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Text to find (literally, any case) in the id, creator, error or node.",
    )
    search_budget: int = Field(
        default=SEARCH_BUDGET,
        ge=1,
        le=100_000,
        description="Entries a sort or a search examines.",
    )
    scan_from: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="Where in the index a sort or search starts: a slice of a longer pass.",
    )


class JobRow(Model):
    job_id: str
    job_type: str
    status: str
    node_id: str | None
    agent_id: str | None
    created_at: int | None
    updated_at: int | None
    started_at: int | None
    finished_at: int | None
    attempts: int
    max_attempts: int
    estimated_cost: int
    actual_cost: int | None
    tag: str
    error: str | None
    pending_reason: str | None
    timeout_s: int | None
    archived: bool = False  # read back from the archive: the job has left Redis


ROW_FIELDS = set(JobRow.model_fields) - {"archived"}


def job_row(h: RawHash) -> JobRow:
    """A row of the table from the job's record (the script reads only the row's fields)."""
    record = JobRecord.from_hash(h)
    # The record's fields are already parsed to the row's types: no second validation.
    return JobRow.model_construct(**record.model_dump(include=ROW_FIELDS))


JOB_ROWS = RowMemo(job_row)  # shared by every poll of this process


def jobs_read(store: Store, window: JobWindow) -> Read[Page[JobRow]]:
    keys = store.keys
    if window.node_id:
        index, state = keys.node_history(window.node_id), window.status or ""
    elif window.status:
        index, state = keys.jobs_with_status(window.status), ""
    else:
        index, state = keys.jobs_all, ""
    commands = {
        "window": script(
            store,
            "snapshot_jobs",
            [index],
            window.offset,
            window.limit,
            "1" if window.newest_first else "0",
            window.job_type or "",
            state,
            window.search_budget if window.sort or window.text else window.scan_budget,
            window.sort or "",
            (window.text or "").lower(),
            window.scan_from,
        )
    }

    def decode(r: Replies) -> Page[JobRow]:
        reply = script_reply(r["window"])
        return Page[JobRow](
            rows=JOB_ROWS.rows(reply),
            total=int_or(reply.get("total")),
            offset=window.offset,
            exact=bool(reply.get("exact", True)),
            scanned=int_or(reply.get("scanned")),
            matched=None if reply.get("matched") is None else int_or(reply.get("matched")),
            values=sort_values(reply),
        )

    return Read("jobs", commands, decode)
