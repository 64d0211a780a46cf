"""What the console reads and draws: the windows on screen become the poll's ViewRequest, and a
snapshot is drawn into the shown panes and open detail screens, rows updated in place by key.

A paused console is paused everywhere: the status line, the panes and open detail screens keep
what they show, and only what the operator asked for (a page, a sort, a filter: `redraw`) or
what has never been drawn is filled in.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from console import bell, poll_plan
from console.ordered_sweep import OrderedSweep
from console.screens.charts import ChartsScreen
from console.screens.detail import DetailScreen, JobDetailScreen, NodeDetailScreen
from console.state import view_request
from console.widgets.nodes_pane import NodesPane
from console.widgets.pane import Pane
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole


_PANES: WeakKeyDictionary[LcnConsole, list[Pane]] = WeakKeyDictionary()
CACHE_PANES = True  # off: queried at every call (`lcn bench console` baseline)


def panes_of(app: LcnConsole) -> list[Pane]:
    """The dashboard's panes, found once: they are composed with the app and never replaced,
    and a query matches selectors against every widget, several times a poll."""
    found = _PANES.get(app)
    if not found or not CACHE_PANES or not all(pane.is_attached for pane in found):
        found = _PANES[app] = list(app.query(Pane))
    return found


def request(app: LcnConsole) -> snap.ViewRequest:
    """The poll for what is on screen: each shown table's window as many rows as fit, the map's
    next chunk, the open detail screens' records."""
    shown = app.shown_panes()
    state = app.state
    for name in shown:
        view = state.tables.get(name)
        if view is not None:
            view.limit = min(200, app.pane(name).visible_rows())
    grid = None
    if "nodes" in shown:
        grid = app.query_one("#pane-nodes", NodesPane).world_map.grid_size
    state.job_detail = state.node_detail = None
    for screen in app.screen_stack:
        if isinstance(screen, JobDetailScreen):
            state.job_detail = screen.record_id
        elif isinstance(screen, NodeDetailScreen):
            state.node_detail = screen.record_id
    now = time.monotonic()
    keep: set[str] = set()
    due: list[str] = []
    for name in ("nodes", "jobs", "earnings"):
        view = state.tables[name]
        if name in app.redraw or not view.ordered:  # asked for anew: read whole, at once
            view.sweep = None
        elif view.order_is_fresh(now):
            keep.add(name)
        elif name in shown and view.can_slice():
            due.append(name)
        else:
            view.sweep = None
    carry = state.plan.next(
        staggered=staggered(app),
        slices=due,
        map_shown=grid is not None,
        asked={p.PANE for p in panes_of(app) if p.PANE in shown and not p.drawn} | app.redraw,
    )
    sliced: set[str] = set()
    for name in due:
        if name in carry.slices:
            view = state.tables[name]
            view.sweep = view.sweep or OrderedSweep()
            sliced.add(name)
        else:  # not its turn: the window on screen stays, the pass goes on at its next turn
            keep.add(name)
    state.kept, state.sliced = frozenset(keep), frozenset(sliced)
    return view_request(
        state,
        shown=shown,
        keep=state.kept,
        sliced=state.sliced,
        carry=carry,
        map_grid=grid,
        now_ms=app.clock() if app.clock else int(time.time() * 1000),
        map_chunk=app.map_chunk,
        payments_enabled=app.payments_enabled,
        queue_age_s=app.settings.alert_queue_age_s,
    )


def staggered(app: LcnConsole) -> bool:
    """Whether this poll's heavy reads are spread over polls (console.poll_plan): a live pool
    of more than STAGGER_FROM_NODES nodes, known from the last poll (the first reads all)."""
    last = app.snapshot
    large = last is not None and last.counts.nodes > poll_plan.STAGGER_FROM_NODES
    return large and app.poller.source.live


def needs_draw(app: LcnConsole) -> bool:
    """While paused, whether something on screen has never been drawn or was asked for
    anew (a page, a sort, a filter, a detail screen just opened)."""
    if app.redraw:
        return True
    if any(not p.drawn for p in app.panes() if p.PANE in app.shown_panes()):
        return True
    return any(
        isinstance(s, (DetailScreen, ChartsScreen)) and not s.drawn for s in app.screen_stack
    )


def draw(app: LcnConsole, result: snap.Snapshot) -> None:
    """Draw a snapshot: every shown pane updates its rows in place (paused: see above)."""
    paused = app.state.paused and app.snapshot is not None
    bell.ring_for_news(app, result.triage)
    _absorb_slices(app, result)
    # A table this poll did not read (its sorted window is fresh) or read a slice of keeps the
    # page it shows, in the snapshot too: whoever reads app.snapshot sees what is on screen.
    carried: dict[str, object] = {
        name: app.state.tables[name].page
        for name in app.state.kept | app.state.sliced
        if (getattr(result, name) is None or name in app.state.sliced)
        and app.state.tables[name].page is not None
    }
    # So does a staggered read this poll did not carry (console.poll_plan): the last one read.
    carry, last = app.state.plan.last, app.snapshot
    if last is not None:
        for name, read in (("triage", carry.triage), ("agents", carry.agents), ("map", carry.map)):
            if not read and getattr(result, name) is None and getattr(last, name) is not None:
                carried[name] = getattr(last, name)
    if carried:
        result = result.model_copy(update=carried)
    if not paused:
        app.snapshot = result
        app.state.queue_depth.add(result)
    shown = app.shown_panes()
    for pane in app.panes():
        if pane.PANE not in shown:
            continue
        if paused and pane.drawn and pane.PANE not in app.redraw:
            continue
        _absorb(app, pane.PANE, result)
        pane.update_from(result, app.state)
        pane.drawn = True
    app.redraw.clear()
    for screen in app.screen_stack:
        if isinstance(screen, ChartsScreen) and not (paused and screen.drawn):
            screen.show(result, app.state.queue_depth)
        if not isinstance(screen, DetailScreen) or (paused and screen.drawn):
            continue
        if isinstance(screen, JobDetailScreen) and screen.record_id == app.state.job_detail:
            if result.job_detail is not None:
                screen.show(result.job_detail, result.now_ms)
            elif result.detail_missing == screen.record_id:
                screen.missing()
        elif isinstance(screen, NodeDetailScreen) and screen.record_id == app.state.node_detail:
            if result.node_detail is not None:
                screen.show(result.node_detail, result.now_ms)
            elif result.detail_missing == screen.record_id:
                screen.missing()
    app.update_status()


def _absorb(app: LcnConsole, pane: str, result: snap.Snapshot) -> None:
    """What a pane's drawing needs in the view state: its window's total, the map sweep."""
    page = {"nodes": result.nodes, "jobs": result.jobs, "earnings": result.earnings}.get(pane)
    # A kept page was absorbed when read; a sliced one when its pass completed (_absorb_slices).
    if page is not None and pane not in app.state.kept | app.state.sliced:
        view = app.state.tables[pane]
        view.total = page.total
        view.page = page
        sorted_read = page.matched is not None
        view.ordered_at = time.monotonic() if sorted_read else None
        view.ordered_limit = view.limit
    if pane == "swarm" and result.agents is not None:
        app.state.tables["swarm"].total = result.agents.page.total
    if pane == "nodes" and result.map is not None and app.state.plan.last.map:
        app.state.map_sweep.absorb(result.map)  # read by this poll, not carried over


def _absorb_slices(app: LcnConsole, result: snap.Snapshot) -> None:
    """Each slice read joins its table's pass; a complete pass becomes the window on screen."""
    for name in app.state.sliced:
        view = app.state.tables[name]
        page = getattr(result, name)
        if page is None or view.sweep is None:
            continue
        merged = view.sweep.absorb(page, offset=view.offset, limit=view.limit)
        if merged is not None:
            view.page, view.total, view.sweep = merged, merged.total, None
            view.ordered_at = time.monotonic()
            view.ordered_limit = view.limit


def new_view(app: LcnConsole, pane: str) -> None:
    """The operator asked for another window of a pane: it is drawn even while paused, and
    its table selects the new window's top row if the selected one is not in it."""
    app.redraw.add(pane)
    view = app.state.tables.get(pane)
    if view is not None:
        # A poll already on its way read the old window (a slice of it, or nothing if it was
        # fresh) and clears `redraw` when drawn: the next poll must still read this one whole.
        view.sweep = None
        view.ordered_at = None
    with contextlib.suppress(Exception):
        app.pane(pane).table.new_view()
