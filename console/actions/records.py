"""Records as they stand now, read once for a confirmation to name their state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from console.format import short_id
from console.poller import one_line
from core.errors import LcnError
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole


async def read_record(
    app: LcnConsole, kind: str, record_id: str
) -> snap.JobDetail | snap.NodeDetail | None:
    """The job or node as it stands now (one read), for a confirmation to name its state;
    None after saying why it cannot be read or does not exist."""
    request = (
        snap.ViewRequest(job_detail=record_id, triage=False, series_buckets=1)
        if kind == "job"
        else snap.ViewRequest(node_detail=record_id, triage=False, series_buckets=1)
    )
    try:
        found = await snap.poll(await app.poller.store(), request)
    except (RedisError, OSError, LcnError) as exc:
        app.notify(f"Cannot read {kind} {short_id(record_id)}: {one_line(exc)}",
                   severity="error")  # fmt: skip
        return None
    record = found.job_detail if kind == "job" else found.node_detail
    if record is None:
        app.notify(f"No {kind} {short_id(record_id)} in pool {app.settings.pool}; "
                   "nothing was done.", severity="warning")  # fmt: skip
    return record


def job_state(job: snap.JobDetail) -> str:
    """A job's state for a confirmation: 'running on node …x, try 1/3'."""
    record = job.job
    state = record.status or "?"
    if record.node_id:
        state += f" on node {short_id(record.node_id)}"
    return f"{state}, try {record.attempts}/{record.max_attempts}"


def node_state(node: snap.NodeDetail) -> str:
    """A node's state for a confirmation: 'busy, holding 3 jobs'."""
    held = len(node.jobs)
    jobs = "no jobs" if not held else f"{held} job" + ("s" if held > 1 else "")
    return f"{node.node.status or '?'}, holding {jobs}"
