"""The operator console: live panes over one pool, actions from the keyboard. The App lays out
the panes and draws each snapshot the poller (console.poller, a worker owning the connection)
posts. Keys come from the command registry (console.commands): view commands run in
console.actions.views; a command that writes runs through console.actions.dispatch (refused
when read-only, confirmed if destructive) and core.actions (audited with the operator's name)."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Container
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from console import commands, drawing, palette, prefs, selection, status, toasts
from console.actions import dispatch, navigate, views
from console.poller import Poller, one_line
from console.screens.detail import DetailScreen
from console.screens.help import HelpScreen
from console.state import DASHBOARD_PANES, ConsoleState
from console.widgets.earnings_pane import EarningsPane
from console.widgets.jobs_pane import JobsPane
from console.widgets.nodes_pane import NodesPane
from console.widgets.pane import Pane
from console.widgets.scrollbar_glyphs import install as ascii_scrollbars
from console.widgets.status_line import Banner, StatusLine
from console.widgets.swarm_pane import SwarmPane
from console.widgets.triage_pane import TriagePane
from core import actions
from core.config import Settings
from core.payments import mode as payments_mode
from core.reads import snapshot as snap

ascii_scrollbars()  # an ASCII console's scrollbars too (console/widgets/scrollbar_glyphs.py)


def stylesheet() -> Path:
    """styles/lcn.tcss wherever this install put it (the checkout, or a wheel's site-packages)."""
    sheet = resources.files("styles") / "lcn.tcss"
    if not isinstance(sheet, Path):  # a zipped install: Textual reads a stylesheet from a file
        raise RuntimeError(f"The console's stylesheet is not a file on disk: {sheet}")
    return sheet


STYLES = stylesheet()


class LcnConsole(App[None]):
    """`lcn console`. `clock` (ms) and `show_timing` exist so screenshots are reproducible."""

    CSS_PATH = STYLES
    TITLE = "lcn console"
    BINDINGS = commands.bindings()
    # The dashboard needs 120×36 (styles/lcn.tcss: Screen.-wide.-tall); smaller shows one pane.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]  # noqa: RUF012

    def __init__(
        self,
        settings: Settings,
        *,
        read_only: bool = False,
        refresh: float = 1.0,
        operator: actions.Operator | None = None,
        clock: Callable[[], int] | None = None,
        show_timing: bool = True,
        map_chunk: int = 500,
        theme: str | None = None,  # this run's theme; None: the remembered one (console.prefs)
    ) -> None:
        super().__init__()
        self.settings = settings
        self.operator = actions.who(operator)
        self.read_only_reason = dispatch.read_only_reason(read_only, self.operator)
        self.state = ConsoleState(refresh=max(0.1, refresh))
        self.clock = clock
        self.show_timing = show_timing
        self.map_chunk = map_chunk
        self.theme_override = theme
        # A Stripe key turns payments on (core.payments.mode); the earnings pane says which.
        self.payments_enabled = payments_mode.enabled(settings)
        self.poller = Poller(settings, self)
        self.snapshot: snap.Snapshot | None = None  # the last one drawn
        self.polls = 0  # snapshots drawn
        self.apply_ms = 0.0
        # Panes the operator asked to see anew (page, sort, filter): drawn even while paused.
        self.redraw: set[str] = set()

    @property
    def connected(self) -> bool:
        return self.poller.health.connected

    @property
    def poll_ms(self) -> float:
        return self.poller.health.poll_ms

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications are literal text (they carry ids, errors and filters from data), one
        at a time and coalesced (console.toasts)."""
        toasts.show(self, super().notify, message, title=title, severity=severity, timeout=timeout)

    # ── layout ──────────────────────────────────────────────────────────────────────────────

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Banner(id="banner")
        with Container(id="body"):
            yield NodesPane()
            yield JobsPane()
            yield EarningsPane()
            yield SwarmPane()
            yield TriagePane()
        yield Footer(compact=True)

    def on_mount(self) -> None:
        prefs.restore_theme(self, self.theme_override, palette.default_theme(self))
        for pane in self.panes():
            pane.set_class(pane.PANE in DASHBOARD_PANES, "-dash")
        self.arrange()
        self.update_status()
        self.focus_current()
        # After the first layout, so the first poll asks for windows that fit the panes.
        self.call_after_refresh(self.poller.start, self)

    def on_resize(self) -> None:
        self.poll_now()

    def panes(self) -> list[Pane]:
        return drawing.panes_of(self)

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#pane-{name}", Pane)

    def arrange(self) -> None:
        """Classes decide the layout (styles/lcn.tcss): a 2×2 grid of the dashboard panes when
        the terminal is big enough and nothing is maximised, else only the current pane."""
        state = self.state
        body = self.query_one("#body")
        grid = not state.maximised and state.pane in DASHBOARD_PANES
        body.set_class(grid, "-grid")
        for pane in self.panes():
            pane.set_class(state.pane == pane.PANE, "-current")
        self.refresh_bindings()

    def shown_panes(self) -> set[str]:
        """The panes on screen now (the stylesheet decides, by size and classes)."""
        if isinstance(self.screen, DetailScreen):
            return set()
        return {pane.PANE for pane in self.panes() if pane.display}

    def focus_current(self) -> None:
        with contextlib.suppress(Exception):
            self.pane(self.state.pane).table.focus()

    def on_descendant_focus(self, event: Any) -> None:
        """Moving focus into a pane (Tab) makes it the current pane."""
        node = getattr(event, "widget", None)
        while node is not None and not isinstance(node, Pane):
            node = node.parent
        if isinstance(node, Pane) and self.state.pane != node.PANE:
            self.state.pane = node.PANE
            self.arrange()

    # ── polling (console.poller reads; the App draws) ───────────────────────────────────────

    def poll_now(self) -> None:
        self.poller.wake()

    async def poll_once(self) -> None:
        """One poll, drawn before this returns (benchmarks and tests time it)."""
        await self.poller.poll_once()

    def refresh_interval(self) -> float:
        return self.state.refresh

    def wants_poll(self, forced: bool) -> bool:
        paused = self.state.paused and self.snapshot is not None
        return not paused or (forced and drawing.needs_draw(self))

    def view_request(self) -> snap.ViewRequest:
        return drawing.request(self)

    @on(Poller.Polled)
    def draw_polled(self, message: Poller.Polled) -> None:
        if message.recovered:
            self.notify("Connected to Redis again.", title="Recovered")
        self.polls += 1
        started = time.perf_counter()
        try:
            drawing.draw(self, message.snapshot)
        except Exception as exc:
            self.notify(f"Drawing failed: {one_line(exc)}", severity="error", timeout=5)
        finally:
            message.drawn.set()  # the poller sleeps only after this
        self.apply_ms = (time.perf_counter() - started) * 1000
        if self.polls == 2:
            # Everything built so far lives as long as the app: keep it out of the cyclic
            # collector's full passes, which otherwise stall a frame for tens of ms.
            gc.freeze()

    @on(Poller.Failed)
    def show_poll_failure(self, message: Poller.Failed) -> None:
        if message.redis:
            self.update_status()  # the banner says Redis is away
        else:
            self.notify(f"Poll failed: {message.error}", severity="error", timeout=5)

    def update_status(self) -> None:
        status.show(self)

    # ── commands (console.commands) ─────────────────────────────────────────────────────────

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Job commands show in the footer only where a job is selectable, node commands only
        where a node is."""
        command = commands.by_action(action, parameters)
        if command is None or command.scope in ("app", "table"):
            return True
        try:
            return command.scope == selection.context(self)
        except Exception:  # asked before the first screen exists
            return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette lists the same registry as the keys and the footer."""
        for command, target in commands.for_palette(self, screen):  # the screen's own too
            run = partial(target.run_action, command.action)
            yield SystemCommand(command.title, command.help, run)
        yield from super().get_system_commands(screen)

    def action_operate(self, name: str) -> None:
        """Every command that writes (console.actions.dispatch: read-only, confirm, perform)."""
        self.run_worker(dispatch.run(self, name), name=name, group="action")

    def action_pane(self, name: str) -> None:
        views.show_pane(self, name)

    def action_view(self, name: str) -> None:
        """Commands that change what is on screen (console.actions.views)."""
        views.run(self, name)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.read_only_reason))

    def action_open(self) -> None:
        navigate.open_selected(self)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        navigate.open_selected(self)

    async def action_quit(self) -> None:
        await self.poller.close()
        self.exit()

    def on_unmount(self) -> None:
        gc.unfreeze()  # what gc.freeze kept goes with this app (`lcn serve ssh`: one per session)


def run_console(
    settings: Settings,
    *,
    read_only: bool = False,
    refresh: float = 1.0,
    operator: actions.Operator | None = None,
    theme: str | None = None,
) -> None:
    """Run the console in this terminal until the operator quits (`lcn console`, `lcn demo`)."""
    LcnConsole(settings, read_only=read_only, refresh=refresh, operator=operator, theme=theme).run()


async def run_console_async(
    settings: Settings,
    *,
    read_only: bool = False,
    refresh: float = 1.0,
    operator: actions.Operator | None = None,
    theme: str | None = None,
) -> None:
    """The same, inside an event loop that is already running (`lcn demo` runs the network
    and the console side by side)."""
    app = LcnConsole(settings, read_only=read_only, refresh=refresh, operator=operator, theme=theme)
    await app.run_async()
