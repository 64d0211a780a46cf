"""Listing jobs across Redis and the archive: one page at a time, with a cursor for the next.

How pages run: live jobs first (the Redis index, newest first), then archived jobs (newest
first by creation time, then id). The two parts are not interleaved by time: the archiver moves
jobs by when they finished, so a long-running live job may be older than some archived ones; it
is listed with the live part. A page that runs past the live jobs goes on into the archive, and
`archived=True` lists the archive alone.

The cursor says where the next page starts: `live.N` (offset N in the live index, as plain
offsets page today) or `arch.<created_at ms>.<job id>` (strictly after that archived job: stable
however deep, and unaffected by jobs being archived meanwhile). A job archived while a client
pages through the live part may shift the live offsets (as any job finishing does today) and
appear again in the archive part; none is archived twice, and a job briefly in both places (the
archiver writes the archive first, then removes from Redis) is listed once, as live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core import archived_jobs
from core.archive import ArchivedJob
from core.errors import InvalidInput
from core.ids import check_cid
from core.jobs import check_status, get_jobs, list_job_ids
from core.models.job import Job
from core.store import Store
from core.store.reads import check_page

CURSOR = re.compile(r"live\.(\d{1,9})|arch\.(\d{1,15})\.([A-Za-z0-9]{1,100})")


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job]
    total: int  # live and archived jobs that match, over all pages
    next_cursor: str | None  # None: this was the last page


@dataclass(frozen=True)
class _Position:
    live: int | None = None  # offset in the live index
    archived_after: archived_jobs.Key | None = None
    archived_offset: int = 0


def parse_cursor(cursor: str) -> _Position:
    found = CURSOR.fullmatch(cursor)
    if found is None:
        raise InvalidInput(
            f"The cursor {cursor[:120]!r} is not one this network gave; use the next cursor of "
            "the previous page, or none for the first page."
        )
    if found.group(1) is not None:
        return _Position(live=int(found.group(1)))
    return _Position(archived_after=(int(found.group(2)), found.group(3)))


def _start(archived: bool, offset: int, cursor: str | None, live_total: int) -> _Position:
    if cursor is not None:
        if offset:
            raise InvalidInput("Give a cursor or an offset, not both.")
        position = parse_cursor(cursor)
        if archived and position.live is not None:
            raise InvalidInput("A cursor of live jobs does not page the archived jobs alone.")
        return position
    if archived:
        return _Position(archived_offset=offset)
    if offset < live_total:
        return _Position(live=offset)
    return _Position(archived_offset=offset - live_total)


async def list_jobs(
    store: Store,
    *,
    status: str | None = None,
    node_id: str | None = None,
    archived: bool = False,
    offset: int = 0,
    cursor: str | None = None,
    limit: int = 100,
) -> JobPage:
    """A page of jobs, newest first: live ones, then archived ones (or archived ones alone)."""
    check_status(status)
    check_page(offset, limit)
    if node_id is not None:
        check_cid(node_id, what="node id")
    live_total = 0
    shown: list[Job] = []
    if not archived:
        live_total = await _live_total(store, status, node_id)
    position = _start(archived, offset, cursor, live_total)
    if position.live is not None and position.live < live_total:
        ids, live_total = await list_job_ids(
            store, status=status, node_id=node_id, offset=position.live, limit=limit
        )
        found = await get_jobs(store, ids)
        if node_id is not None and status is not None:
            found = [j for j in found if j.status == status]
        shown.extend(found)
        end = position.live + len(ids)
        if len(ids) >= limit:
            archived_total = await archived_jobs.count(store, status=status, node_id=node_id)
            # Past the live part, `live.N` goes on with the archive from its newest job.
            more = end < live_total or archived_total > 0
            return JobPage(shown, live_total + archived_total, f"live.{end}" if more else None)
        limit -= len(ids)
        position = _Position()  # the live part ends on this page: the archive from its start
    rows = await archived_jobs.page(
        store,
        status=status,
        node_id=node_id,
        after=position.archived_after,
        offset=position.archived_offset,
        limit=limit + 1,  # one more says whether there is a next page
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = f"arch.{rows[-1].created_at}.{rows[-1].id}" if more and rows else None
    if not archived and rows:
        rows = await _not_live(store, rows)
    shown.extend(await archived_jobs.shown(store, rows))
    total = live_total + await archived_jobs.count(store, status=status, node_id=node_id)
    return JobPage(shown, total, next_cursor)


async def _live_total(store: Store, status: str | None, node_id: str | None) -> int:
    _, total = await list_job_ids(store, status=status, node_id=node_id, offset=0, limit=1)
    return total


async def _not_live(store: Store, rows: list[ArchivedJob]) -> list[ArchivedJob]:
    """Leave out archived jobs still in Redis (archived, not yet removed): listed as live."""
    async with store.redis.pipeline(transaction=False) as pipe:
        for row in rows:
            pipe.exists(store.keys.job(row.id))
        live = await pipe.execute()
    return [row for row, here in zip(rows, live, strict=True) if not here]
