"""The console's reads falling back to the archive: a job's detail once it has left Redis, and
a node's job history (its earnings history: the jobs pane filtered by node) going on past the
live jobs into the archived ones.

These run after the poll's one Redis round trip, and only when it came back short: a detail
screen open on an archived job, or a node's history window reaching past its live part. With
no archive to read they add nothing (core/store/archive_handle.py)."""

from __future__ import annotations

from core.reads.detail import HISTORY_SHOWN, JobDetail
from core.reads.jobs import JobRow, JobWindow, job_row
from core.reads.model import Page
from core.store import Store


async def archived_detail(store: Store, job_id: str) -> JobDetail | None:
    # Imported here: the archive's database drivers load only when a read needs them.
    from core import archived_jobs

    found = await archived_jobs.find(store, job_id)
    if found is None:
        return None
    return JobDetail(
        job_id=job_id,
        fields=found.fields,
        history=found.history[-HISTORY_SHOWN:],
        archived=True,
    )


def reaches_archive(window: JobWindow) -> bool:
    """Only a node's history newest first, unfiltered by type, goes on into the archive: the
    archive orders by creation time newest first and has no column for the job's type."""
    return bool(window.node_id) and window.newest_first and window.job_type is None


async def with_archived(store: Store, window: JobWindow, live: Page[JobRow]) -> Page[JobRow]:
    """The window's live rows, then archived ones where the window runs past the live part;
    the total counts both."""
    from core import archived_jobs

    if not reaches_archive(window):
        return live
    status, node_id = window.status, window.node_id
    archived_total = await archived_jobs.count(store, status=status, node_id=node_id)
    if not archived_total:
        return live
    live_total = live.total
    room = window.limit - len(live.rows)
    rows = list(live.rows)
    if room > 0 and window.offset + len(live.rows) >= live_total:
        found = await archived_jobs.page(
            store,
            status=status,
            node_id=node_id,
            offset=max(0, window.offset - live_total),
            limit=room,
        )
        for restored in await archived_jobs.restored(store, found):
            row = job_row(restored.fields)
            rows.append(row.model_copy(update={"archived": True}))
    return live.model_copy(update={"rows": rows, "total": live_total + archived_total})
