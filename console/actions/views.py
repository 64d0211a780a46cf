"""View commands: panes (1–5, z), the refresh (p, +, -), the current table's window (s, ], [,
/, escape) and go-to (g). They change the view state; a new window is drawn at once, even while
paused. `:` opens the command line (console.actions.pools)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from console.actions import export, navigate, pools
from console.drawing import new_view
from console.replay import control as replay
from console.screens.charts import ChartsScreen
from console.screens.detail import DetailScreen
from console.screens.prompt import PromptScreen
from console.state import PANES, parse_filter

if TYPE_CHECKING:
    from console.app import LcnConsole


def show_pane(app: LcnConsole, name: str) -> None:
    """1–5: that pane becomes the current one (closing a detail screen)."""
    if name not in PANES:
        return
    if isinstance(app.screen, DetailScreen):
        app.pop_screen()
    app.state.pane = name
    app.arrange()
    app.focus_current()
    app.poll_now()


def maximise(app: LcnConsole) -> None:
    app.state.maximised = not app.state.maximised
    app.arrange()
    app.focus_current()
    app.poll_now()


def sort(app: LcnConsole) -> None:
    view = app.state.tables[app.state.pane]
    view.sort_index = (view.sort_index + 1) % len(view.sorts)
    view.offset = 0
    new_view(app, app.state.pane)
    app.notify(f"Sorted {view.sort_label}.", timeout=2)
    app.poll_now()


def next_page(app: LcnConsole) -> None:
    view = app.state.tables[app.state.pane]
    if view.offset + view.limit < max(view.total, view.offset + view.limit + 1):
        view.offset += view.limit
        new_view(app, app.state.pane)
        app.poll_now()


def prev_page(app: LcnConsole) -> None:
    view = app.state.tables[app.state.pane]
    if view.offset:
        view.offset = max(0, view.offset - view.limit)
        new_view(app, app.state.pane)
        app.poll_now()


def clear_filter(app: LcnConsole) -> None:
    view = app.state.tables.get(app.state.pane)
    if view is not None and view.clear_filter():
        new_view(app, app.state.pane)
        app.notify("Filter cleared.", timeout=2)
        app.poll_now()


async def ask_filter(app: LcnConsole) -> None:
    pane = app.state.pane
    if pane not in ("jobs", "nodes"):
        app.notify("Filtering works on the nodes (1) and jobs (2) panes.", timeout=3)
        return
    view = app.state.tables[pane]
    hint = (
        "state (pending running failed …), type:code|model|data, node:<node id>; "
        "other words search id, creator, error and node"
        if pane == "jobs"
        else "state: active, busy, draining or offline; other words search id and region"
    )
    text = await app.push_screen_wait(
        PromptScreen(f"Filter {pane}", hint, value=view.filter_text, placeholder="running")
    )
    if text is None:
        return
    try:
        found = parse_filter(text, jobs=pane == "jobs")
    except ValueError as exc:
        app.notify(str(exc), title="Filter not applied", severity="warning")
        return
    view.status, view.job_type, view.node_id, view.text = (
        found["status"],
        found["job_type"],
        found["node_id"],
        found["text"],
    )
    view.offset = 0
    new_view(app, pane)
    app.notify(f"Filter: {view.filter_label or 'none'}.", timeout=2)
    app.poll_now()


def charts(app: LcnConsole) -> None:
    """m: the charts screen, drawn at once from the last snapshot (paused too), then by every
    poll."""
    screen = ChartsScreen()
    app.push_screen(screen)
    if app.snapshot is not None:
        app.call_after_refresh(screen.show, app.snapshot, app.state.queue_depth)


def toggle_pause(app: LcnConsole) -> None:
    app.state.paused = not app.state.paused
    app.notify(
        "Paused: nothing on screen changes until p resumes."
        if app.state.paused
        else "Refresh resumed.",
        timeout=2,
    )
    app.update_status()
    if not app.state.paused:
        app.poll_now()


def faster(app: LcnConsole) -> None:
    _refreshing_every(app, app.state.faster())


def slower(app: LcnConsole) -> None:
    _refreshing_every(app, app.state.slower())


def _refreshing_every(app: LcnConsole, refresh: float) -> None:
    app.notify(f"Refreshing every {refresh:g} s.", timeout=2)
    app.update_status()
    app.poll_now()


# The registry's view(<name>) commands. A dialog waits for its screen, so it runs in a worker.
COMMANDS: dict[str, Callable[[LcnConsole], None]] = {
    "maximise": maximise,
    "pause": toggle_pause,
    "faster": faster,
    "slower": slower,
    "sort": sort,
    "next_page": next_page,
    "prev_page": prev_page,
    "clear_filter": clear_filter,
    "charts": charts,
    **replay.COMMANDS,
}
DIALOGS: dict[str, Callable[[LcnConsole], Coroutine[Any, Any, None]]] = {
    "filter": ask_filter,
    "jump": navigate.jump,
    "command": pools.ask_command,
    "export": export.export_view,
    **replay.DIALOGS,
}


def run(app: LcnConsole, name: str) -> None:
    if replay.takes(app, name):  # +, -, p and g while replaying
        return
    if name in DIALOGS:
        app.run_worker(DIALOGS[name](app), name=name, group="dialog")
    else:
        COMMANDS[name](app)
