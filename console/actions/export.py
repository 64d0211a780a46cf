"""`e`: export the current table to a CSV or JSON file.

What is exported is every row the table's filter matches, in the table's order, read anew page
by page through the same reads the poll uses (so a filter or sort the table knows is the
export's too), up to EXPORT_MAX rows — not only the page on screen. The toast names the file
and says when the rows were bounded. Rows keep full ids and raw values (money in micro-USD,
times as ISO 8601 UTC), unlike the table's shortened words.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel
from redis.exceptions import RedisError

from console import export_file
from console.poller import one_line
from console.screens.detail import DetailScreen
from console.screens.export import ExportScreen
from console.state import ConsoleState, view_request
from core.access.roles import Actor
from core.errors import LcnError
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole
    from core.store import Store

EXPORT_MAX = 10_000
PAGE = 500  # the largest window a read takes
WINDOWS = {"jobs": "jobs", "nodes": "nodes", "earnings": "earnings", "swarm": "agents"}
NOUNS = {"jobs": "jobs", "nodes": "nodes", "earnings": "nodes", "swarm": "agents",
         "triage": "triage items"}  # fmt: skip


@dataclass(frozen=True)
class Rows:
    """The rows read for an export, and whether they are all the filter matches."""

    rows: list[dict[str, Any]]
    total: int  # as the index counts them (a filter the index cannot answer: the index's size)
    bounded: str | None  # why these may not be every matching row


def _page(found: snap.Snapshot, pane: str) -> snap.Page[Any]:
    if pane == "swarm":
        assert found.agents is not None
        return found.agents.page
    page = getattr(found, WINDOWS[pane])
    assert page is not None
    return cast("snap.Page[Any]", page)


async def read_rows(
    store: Store, state: ConsoleState, pane: str, *, now_ms: int, payments_enabled: bool
) -> Rows:
    """Every row of `pane` its view's filter matches, in its order, at most EXPORT_MAX."""
    view = state.tables[pane]
    if pane == "triage":
        request = snap.ViewRequest(triage=True, triage_limit=200, series_buckets=1, now_ms=now_ms)
        triage = (await snap.poll(store, request)).triage
        items = list(triage.items) if triage else []
        return Rows([i.model_dump() for i in items], len(items), None)
    full = view_request(state, shown={pane}, map_grid=None, now_ms=now_ms,
                        payments_enabled=payments_enabled)  # fmt: skip
    window = getattr(full, WINDOWS[pane])
    found: list[BaseModel] = []
    total, exact, offset = 0, True, 0
    while len(found) < EXPORT_MAX:
        request = snap.ViewRequest(
            **{WINDOWS[pane]: window.model_copy(update={"offset": offset, "limit": PAGE})},
            triage=False,
            series_buckets=1,
            now_ms=now_ms,
        )
        page = _page(await snap.poll(store, request), pane)
        found.extend(page.rows)
        total, exact = page.total, exact and page.exact
        offset += PAGE
        if len(page.rows) < PAGE or offset >= total:
            break
    bounded = None
    if len(found) > EXPORT_MAX or (len(found) == EXPORT_MAX and total > EXPORT_MAX):
        bounded = f"the first {EXPORT_MAX:,} of {total:,}"
    elif not exact:
        bounded = "the type filter scans a bounded part of the index"
    found = found[:EXPORT_MAX]
    if view.page_sort is not None:  # an in-page order on screen: over all exported rows here
        found.sort(key=view.page_sort, reverse=True)
    return Rows([r.model_dump() for r in found], total, bounded)


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    """Every field any row has, in first-seen order (triage items differ by kind)."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def describe(state: ConsoleState, pane: str) -> str:
    """What `e` exports, in the words of the dialog."""
    view = state.tables[pane]
    if pane == "triage":
        return "the triage items (up to 200, most severe first)"
    where = f"filter {view.filter_label}" if view.filter_label else "no filter"
    return (f"the {pane} table: every row that matches ({where}), {view.sort_label}, "
            f"up to {EXPORT_MAX:,}")  # fmt: skip


async def export_view(app: LcnConsole) -> None:
    """Ask CSV or JSON, read the rows, write the file, say where."""
    pane = app.state.pane
    if isinstance(app.operator, Actor):
        app.notify("Export is off over SSH: it would write the file on the server, not on your "
                   "machine.", title="Not exported", severity="warning", timeout=5)  # fmt: skip
        return
    if isinstance(app.screen, DetailScreen):
        app.notify("Export writes a table: close this detail screen (Esc) first.", timeout=4)
        return
    directory = export_file.export_dir()
    chosen = await app.push_screen_wait(
        ExportScreen(describe(app.state, pane), str(directory.resolve()))
    )
    if chosen not in ("csv", "json"):
        return
    fmt: export_file.Format = "csv" if chosen == "csv" else "json"
    now_ms = app.clock() if app.clock else int(time.time() * 1000)
    try:
        store = await app.poller.store()
        found = await read_rows(store, app.state, pane, now_ms=now_ms,
                                payments_enabled=app.payments_enabled)  # fmt: skip
    except (RedisError, OSError, LcnError) as exc:
        app.notify(f"Cannot read the rows: {one_line(exc)}; nothing was written.",
                   title="Export failed", severity="error")  # fmt: skip
        return
    rows = [export_file.iso_times(r) for r in found.rows]
    view = app.state.tables[pane]
    if fmt == "csv":
        text = export_file.csv_text(columns_of(rows), rows)
    else:
        meta = {"pool": app.settings.pool, "pane": pane, "filter": view.filter_label,
                "sort": view.sort_label, "total": found.total, "bounded": found.bounded,
                "exportedAt": datetime.fromtimestamp(now_ms / 1000, UTC).isoformat()}  # fmt: skip
        text = export_file.json_text(meta, rows)
    name = export_file.file_name(app.settings.pool, pane, datetime.now(UTC), fmt)
    try:
        path = await asyncio.to_thread(export_file.write_new, directory, name, text)
    except OSError as exc:
        app.notify(f"Cannot write {directory / name}: {exc.strerror or exc}.",
                   title="Export failed", severity="error")  # fmt: skip
        return
    count = f"{len(rows):,} {NOUNS[pane]}" if len(rows) != 1 else f"1 {NOUNS[pane][:-1]}"
    note = f" ({found.bounded})" if found.bounded else ""
    app.notify(f"Wrote {count}{note} to {path}.", title="Exported", timeout=6)
