"""What is selected: the job or node an action applies to, and which commands apply now.

The selection is a key, not a row (console.widgets.live_table): a detail screen's record, or
the current table's selected key while its row is on screen. When the row has left the view
(newer rows, another page, a filter), actions refuse with a sentence saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from console.format import short_id
from console.screens.detail import DetailScreen, JobDetailScreen, NodeDetailScreen

if TYPE_CHECKING:
    from console.app import LcnConsole

Kind = Literal["job", "node"]


def context(app: LcnConsole) -> str:
    """Whether job or node commands apply now: by screen, then by the current pane."""
    screen = app.screen
    if isinstance(screen, JobDetailScreen):
        return "jobs"
    if isinstance(screen, NodeDetailScreen):
        return "nodes"
    pane = app.state.pane
    if pane == "jobs":
        return "jobs"
    if pane in ("nodes", "earnings"):
        return "nodes"
    if pane == "triage":
        key = table_selection(app, "triage") or ""
        return {"job": "jobs", "node": "nodes"}.get(key.split(":")[0], "app")
    return "app"


def table_selection(app: LcnConsole, pane: str) -> str | None:
    """The key selected in a pane's table, also when it has left the view."""
    try:
        return app.pane(pane).table.selection
    except Exception:
        return None


def table_key(app: LcnConsole, pane: str) -> str | None:
    """The key selected in a pane's table while its row is on screen."""
    try:
        return app.pane(pane).table.selected_key
    except Exception:
        return None


def selection_problem(app: LcnConsole, pane: str) -> str | None:
    """The sentence that refuses an action when the selected row has left the view."""
    try:
        lost = app.pane(pane).table.lost
    except Exception:
        return None
    if lost is None:
        return None
    kind, _, target = lost.partition(":") if pane == "triage" else ("", "", lost)
    what = kind or {"jobs": "job", "swarm": "agent"}.get(pane, "node")
    return (
        f"The selected {what} {short_id(target)} has left this view (newer rows, another "
        "page or the filter), so nothing was done; select a row first."
    )


def selected(app: LcnConsole, kind: Kind) -> tuple[str | None, str]:
    """The selected job or node id, or None and the sentence saying why there is none:
    a detail screen's record (unless it no longer exists), else the current table's
    selected row (unless it has left the view)."""
    screen = app.screen
    detail_class = JobDetailScreen if kind == "job" else NodeDetailScreen
    if isinstance(screen, detail_class):
        if screen.gone:
            return None, (
                f"{kind.capitalize()} {short_id(screen.record_id)} no longer exists in "
                "this pool, so nothing was done."
            )
        return screen.record_id, ""
    if isinstance(screen, DetailScreen):
        return None, f"This screen shows no {kind}; select a {kind} first."
    pane = app.state.pane
    tables = ("jobs", "triage") if kind == "job" else ("nodes", "earnings", "triage")
    if pane in tables:
        problem = selection_problem(app, pane)
        if problem:
            return None, problem
        key = table_key(app, pane)
        if pane == "triage":
            target_kind, _, key = (key or "").partition(":")
            key = key if target_kind == kind else ""
        if key:
            return key, ""
    return None, f"Select a {kind} first."
