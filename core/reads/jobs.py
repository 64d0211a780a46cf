"""The job table: one window of a state index, a node's history, or everything, with a bounded
scan when filtered by type (snapshot_jobs.lua)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from core.reads.batch import Read, Replies, script
from core.reads.fields import integer, opt_int, rows, script_reply, text
from core.reads.model import Model, Page
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


def job_row(h: dict[str, Any]) -> JobRow:
    return JobRow(
        job_id=text(h.get("id")) or "",
        job_type=text(h.get("type")) or "",
        status=text(h.get("status")) or "",
        node_id=text(h.get("node")) or None,
        agent_id=text(h.get("agent")) or None,
        created_at=opt_int(h.get("created_at")),
        updated_at=opt_int(h.get("updated_at")),
        started_at=opt_int(h.get("started_at")),
        finished_at=opt_int(h.get("finished_at")),
        attempts=integer(h.get("attempts")),
        max_attempts=integer(h.get("max_attempts")),
        estimated_cost=integer(h.get("estimated_cost")),
        actual_cost=opt_int(h.get("actual_cost")),
        tag=text(h.get("tag")) or "",
        error=text(h.get("error")) or None,
        pending_reason=text(h.get("pending_reason")) or None,
        timeout_s=opt_int(h.get("timeout_s")),
    )


def jobs_read(store: Store, window: JobWindow) -> Read[Page[JobRow]]:
    keys = store.keys
    if window.node_id:
        index, state = keys.node(window.node_id) + ":history", window.status or ""
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
            window.scan_budget,
        )
    }

    def decode(r: Replies) -> Page[JobRow]:
        reply = script_reply(r["window"])
        return Page[JobRow](
            rows=[job_row(h) for h in rows(reply)],
            total=integer(reply.get("total")),
            offset=window.offset,
            exact=bool(reply.get("exact", True)),
            scanned=integer(reply.get("scanned")),
        )

    return Read("jobs", commands, decode)
