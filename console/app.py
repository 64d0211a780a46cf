"""The operator console: live panes over one pool, actions from the keyboard.

One worker polls: it reads a snapshot (one pipelined round trip, only what is on screen),
applies it to the panes in place, then sleeps for the refresh interval, so two polls never
overlap and a slow Redis slows the console down instead of piling requests up. Everything the
console changes goes through core.actions, audited with the operator's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from redis.exceptions import NoPermissionError, RedisError
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.containers import Container
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from console import commands
from console.format import clock, compact, short_id, usd
from console.screens.confirm import ConfirmScreen
from console.screens.detail import DetailScreen, JobDetailScreen, NodeDetailScreen
from console.screens.help import HelpScreen
from console.screens.prompt import PromptScreen
from console.screens.reassign import ReassignScreen
from console.state import DASHBOARD_PANES, PANES, ConsoleState, parse_filter, view_request
from console.widgets.earnings_pane import EarningsPane
from console.widgets.jobs_pane import JobsPane
from console.widgets.nodes_pane import NodesPane
from console.widgets.pane import Pane
from console.widgets.status_line import Banner, StatusLine
from console.widgets.swarm_pane import SwarmPane
from console.widgets.triage_pane import TriagePane
from core import actions
from core.config import Settings
from core.errors import LcnError
from core.models.records.fields import opt_int
from core.money import format_usd
from core.payments import actions as payments_actions
from core.payments import mode as payments_mode
from core.payments import records
from core.payments.cents import to_micro, whole_cents
from core.payments.client import Payments
from core.reads import snapshot as snap
from core.store import Store, connect

RETRY_S = (0.5, 1.0, 2.0, 5.0)  # reconnect backoff while Redis is away
NO_PERMISSION = ("NOPERM", "can't run this command", "no permissions to run")


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
        operator: str | None = None,
        clock: Callable[[], int] | None = None,
        show_timing: bool = True,
        map_chunk: int = 500,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.operator = actions.who(operator)
        self.read_only_reason: str | None = (
            "the console was started with --read-only." if read_only else None
        )
        self.state = ConsoleState(refresh=max(0.1, refresh))
        self.clock = clock
        self.show_timing = show_timing
        self.map_chunk = map_chunk
        # A Stripe key turns payments on (core.payments.mode); the earnings pane says which.
        self.payments_enabled = payments_mode.enabled(settings)
        self.store: Store | None = None
        self.snapshot: snap.Snapshot | None = None
        self.connected = False
        self.last_error: str | None = None
        self.last_ok_ms: int | None = None
        self.poll_ms = 0.0
        self.apply_ms = 0.0
        self.polls = 0
        self._wake = asyncio.Event()
        self._failures = 0
        # Panes the operator asked to see anew (page, sort, filter): drawn even while paused.
        self._redraw: set[str] = set()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications are literal text: they carry ids, errors and filters from data, and
        markup in them would be drawn (or, unbalanced, raise and take the console down)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

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
        self.theme = "textual-dark"
        for pane in self.panes():
            pane.set_class(pane.PANE in DASHBOARD_PANES, "-dash")
        self._arrange()
        self.update_status()
        self.focus_current()
        # After the first layout, so the first poll asks for windows that fit the panes.
        self.call_after_refresh(self._start_polling)

    def _start_polling(self) -> None:
        self.run_worker(
            self._poll_loop(), name="poll", group="poll", exclusive=True, exit_on_error=False
        )

    def on_resize(self) -> None:
        self.poll_now()

    def panes(self) -> list[Pane]:
        return list(self.query(Pane))

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#pane-{name}", Pane)

    def _arrange(self) -> None:
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
            self._arrange()

    # ── polling ─────────────────────────────────────────────────────────────────────────────

    def poll_now(self) -> None:
        self._wake.set()

    def now_ms(self) -> int:
        return self.clock() if self.clock else int(time.time() * 1000)

    async def _ensure_store(self) -> Store:
        if self.store is None:
            self.store = await connect(self.settings)
        return self.store

    async def _drop_store(self) -> None:
        store, self.store = self.store, None
        if store is not None:
            with contextlib.suppress(Exception):
                await store.close()

    async def _poll_loop(self) -> None:
        """The only poller: the next poll starts after the last one finished and was drawn."""
        while True:
            forced = self._wake.is_set()
            self._wake.clear()
            if not self.state.paused or self.snapshot is None or (forced and self.needs_draw()):
                await self.poll_once()
            delay = self.state.refresh
            if not self.connected:
                delay = RETRY_S[min(self._failures, len(RETRY_S)) - 1] if self._failures else 0.5
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def poll_once(self) -> None:
        """One poll and its drawing. Redis errors become the banner; any other error is shown
        as a notification; nothing escapes to Textual's traceback screen."""
        try:
            request = self._view_request()
            started = time.perf_counter()
            store = await self._ensure_store()
            result = await snap.poll(store, request)
            self.poll_ms = (time.perf_counter() - started) * 1000
        except (RedisError, OSError, LcnError) as exc:
            self._failures += 1
            self.last_error = _one_line(exc)
            self.connected = False
            await self._drop_store()
            self.update_status()
            return
        except Exception as exc:  # a bug must not take the console down
            self.last_error = _one_line(exc)
            self.notify(f"Poll failed: {self.last_error}", severity="error", timeout=5)
            return
        if not self.connected and self.polls:
            self.notify("Connected to Redis again.", title="Recovered")
        self.connected = True
        self._failures = 0
        self.last_error = None
        self.last_ok_ms = result.now_ms
        self.polls += 1
        started = time.perf_counter()
        try:
            self.apply(result)
        except Exception as exc:
            self.notify(f"Drawing failed: {_one_line(exc)}", severity="error", timeout=5)
        self.apply_ms = (time.perf_counter() - started) * 1000
        if self.polls == 2:
            # Everything built so far lives as long as the app: keep it out of the cyclic
            # collector's full passes, which otherwise stall a frame for tens of ms.
            gc.freeze()

    def _view_request(self) -> snap.ViewRequest:
        shown = self.shown_panes()
        for name in shown:
            view = self.state.tables.get(name)
            if view is not None:
                view.limit = min(200, self.pane(name).visible_rows())
        grid = None
        if "nodes" in shown:
            grid = self.query_one("#pane-nodes", NodesPane).world_map.grid_size
        state = self.state
        state.job_detail = state.node_detail = None
        for screen in self.screen_stack:
            if isinstance(screen, JobDetailScreen):
                state.job_detail = screen.record_id
            elif isinstance(screen, NodeDetailScreen):
                state.node_detail = screen.record_id
        return view_request(
            state,
            shown=shown,
            map_grid=grid,
            now_ms=self.now_ms(),
            map_chunk=self.map_chunk,
            payments_enabled=self.payments_enabled,
        )

    def _new_view(self, pane: str) -> None:
        """The operator asked for another window of a pane: it is drawn even while paused, and
        its table selects the new window's top row if the selected one is not in it."""
        self._redraw.add(pane)
        with contextlib.suppress(Exception):
            self.pane(pane).table.new_view()

    def needs_draw(self) -> bool:
        """While paused, whether something on screen has never been drawn or was asked for
        anew (a page, a sort, a filter, a detail screen just opened)."""
        if self._redraw:
            return True
        if any(not p.drawn for p in self.panes() if p.PANE in self.shown_panes()):
            return True
        return any(isinstance(s, DetailScreen) and not s.drawn for s in self.screen_stack)

    def apply(self, result: snap.Snapshot) -> None:
        """Draw a snapshot: every shown pane updates its rows in place. A paused console is
        paused everywhere: the status line, the panes and open detail screens keep what they
        show, and only what the operator asked for (or has never been drawn) is filled in."""
        paused = self.state.paused and self.snapshot is not None
        if not paused:
            self.snapshot = result
        shown = self.shown_panes()
        for pane in self.panes():
            if pane.PANE not in shown:
                continue
            if paused and pane.drawn and pane.PANE not in self._redraw:
                continue
            self._absorb(pane.PANE, result)
            pane.update_from(result, self.state)
            pane.drawn = True
        self._redraw.clear()
        for screen in self.screen_stack:
            if not isinstance(screen, DetailScreen) or (paused and screen.drawn):
                continue
            if isinstance(screen, JobDetailScreen) and screen.record_id == self.state.job_detail:
                if result.job_detail is not None:
                    screen.show(result.job_detail, result.now_ms)
                elif result.detail_missing == screen.record_id:
                    screen.missing()
            elif (
                isinstance(screen, NodeDetailScreen) and screen.record_id == self.state.node_detail
            ):
                if result.node_detail is not None:
                    screen.show(result.node_detail, result.now_ms)
                elif result.detail_missing == screen.record_id:
                    screen.missing()
        self.update_status()

    def _absorb(self, pane: str, result: snap.Snapshot) -> None:
        """What a pane's drawing needs in the view state: its window's total, the map sweep."""
        page = {"nodes": result.nodes, "jobs": result.jobs, "earnings": result.earnings}.get(pane)
        if page is not None:
            self.state.tables[pane].total = page.total
        if pane == "swarm" and result.agents is not None:
            self.state.tables["swarm"].total = result.agents.page.total
        if pane == "nodes" and result.map is not None:
            self.state.map_sweep.absorb(result.map)

    # ── status line and banner ──────────────────────────────────────────────────────────────

    def status_parts(self) -> list[tuple[str, str]]:
        """Most important first, as a narrow terminal cuts the end: connection, refresh,
        read-only, counts, triage, then pool, timing and operator."""
        parts: list[tuple[str, str]] = []
        if self.connected:
            parts.append(("● live ", "ok"))
        elif self.snapshot is None and not self.last_error:
            parts.append(("○ connecting ", "dim"))
        else:
            parts.append(("✖ Redis down ", "down"))
        if self.state.paused:
            parts.append(("PAUSED ", "paused"))
        else:
            parts.append((f"every {self.state.refresh:g}s ", ""))
        if self.read_only_reason:
            parts.append(("READ-ONLY ", "readonly"))
        s = self.snapshot
        if s is not None:
            n, j = s.counts.nodes_by_status, s.counts.jobs_by_status
            running = j.get("running", 0) + j.get("assigned", 0)
            parts += [
                (f"│ nodes {compact(s.counts.nodes)} ", ""),
                (f"({compact(n.get('offline', 0))} off) ", "dim"),
                (f"│ run {compact(running)} · wait {compact(j.get('pending', 0))} · "
                 f"fail {compact(j.get('failed', 0))} ", ""),
                (f"│ agents {compact(s.counts.agents_live)} ", ""),
            ]  # fmt: skip
            if s.triage is not None and s.triage.items:
                serious = sum(1 for i in s.triage.items if i.severity in ("critical", "high"))
                parts.append((f"│ triage {len(s.triage.items)}", "down" if serious else ""))
                parts.append((" ", ""))
        parts.append((f"│ {self.settings.pool} ", "dim"))
        if self.show_timing and self.connected:
            parts.append((f"{self.poll_ms + self.apply_ms:.0f}ms ", "dim"))
        parts.append((f"│ {self.operator}", "dim"))
        return parts

    def update_status(self) -> None:
        parts = self.status_parts()
        banner_text = ""
        if not self.connected and self.last_error:
            since = ""
            if self.last_ok_ms:
                since = f" Showing data from {clock(self.last_ok_ms)}."
            banner_text = (
                f"Redis is unreachable ({self.last_error}).{since} Reconnecting by itself…"
            )
        for screen in self.screen_stack:
            with contextlib.suppress(Exception):
                screen.query_one(StatusLine).show(parts)
            with contextlib.suppress(Exception):
                banner = screen.query_one(Banner)
                banner.update(Text(banner_text))
                banner.set_class(bool(banner_text), "-shown")

    # ── what is selected ────────────────────────────────────────────────────────────────────

    def context(self) -> str:
        """Whether job or node commands apply now: by screen, then by the current pane."""
        screen = self.screen
        if isinstance(screen, JobDetailScreen):
            return "jobs"
        if isinstance(screen, NodeDetailScreen):
            return "nodes"
        pane = self.state.pane
        if pane == "jobs":
            return "jobs"
        if pane in ("nodes", "earnings"):
            return "nodes"
        if pane == "triage":
            key = self._table_selection("triage") or ""
            return {"job": "jobs", "node": "nodes"}.get(key.split(":")[0], "app")
        return "app"

    def _table_selection(self, pane: str) -> str | None:
        """The key selected in a pane's table, also when it has left the view."""
        try:
            return self.pane(pane).table.selection
        except Exception:
            return None

    def _table_key(self, pane: str) -> str | None:
        """The key selected in a pane's table while its row is on screen."""
        try:
            return self.pane(pane).table.selected_key
        except Exception:
            return None

    def selection_problem(self, pane: str) -> str | None:
        """The sentence that refuses an action when the selected row has left the view."""
        try:
            lost = self.pane(pane).table.lost
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

    def selected(self, kind: str) -> tuple[str | None, str]:
        """The selected job or node id, or None and the sentence saying why there is none:
        a detail screen's record (unless it no longer exists), else the current table's
        selected row (unless it has left the view)."""
        screen = self.screen
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
        pane = self.state.pane
        tables = ("jobs", "triage") if kind == "job" else ("nodes", "earnings", "triage")
        if pane in tables:
            problem = self.selection_problem(pane)
            if problem:
                return None, problem
            key = self._table_key(pane)
            if pane == "triage":
                target_kind, _, key = (key or "").partition(":")
                key = key if target_kind == kind else ""
            if key:
                return key, ""
        return None, f"Select a {kind} first."

    def selected_job(self) -> str | None:
        return self.selected("job")[0]

    def selected_node(self) -> str | None:
        return self.selected("node")[0]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Job commands show in the footer only where a job is selectable, node commands only
        where a node is."""
        command = commands.by_action(action)
        if command is None or command.scope in ("app", "table"):
            return True
        try:
            return command.scope == self.context()
        except Exception:  # asked before the first screen exists
            return True

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette lists the same registry as the keys and the footer."""
        for command in commands.COMMANDS:
            if command.action == "quit":
                continue
            yield SystemCommand(
                f"{command.title}", command.help, partial(self.run_action, command.action)
            )
        yield from super().get_system_commands(screen)

    # ── navigation actions ──────────────────────────────────────────────────────────────────

    def action_pane(self, name: str) -> None:
        if name not in PANES:
            return
        if isinstance(self.screen, DetailScreen):
            self.pop_screen()
        self.state.pane = name
        self._arrange()
        self.focus_current()
        self.poll_now()

    def action_maximise(self) -> None:
        self.state.maximised = not self.state.maximised
        self._arrange()
        self.focus_current()
        self.poll_now()

    def action_pause(self) -> None:
        self.state.paused = not self.state.paused
        self.notify(
            "Paused: nothing on screen changes until p resumes."
            if self.state.paused
            else "Refresh resumed.",
            timeout=2,
        )
        self.update_status()
        if not self.state.paused:
            self.poll_now()

    def action_faster(self) -> None:
        self.notify(f"Refreshing every {self.state.faster():g} s.", timeout=2)
        self.update_status()
        self.poll_now()

    def action_slower(self) -> None:
        self.notify(f"Refreshing every {self.state.slower():g} s.", timeout=2)
        self.update_status()
        self.poll_now()

    def action_sort(self) -> None:
        view = self.state.tables[self.state.pane]
        view.sort_index = (view.sort_index + 1) % len(view.sorts)
        view.offset = 0
        self._new_view(self.state.pane)
        self.notify(f"Sorted {view.sort_label}.", timeout=2)
        self.poll_now()

    def action_next_page(self) -> None:
        view = self.state.tables[self.state.pane]
        if view.offset + view.limit < max(view.total, view.offset + view.limit + 1):
            view.offset += view.limit
            self._new_view(self.state.pane)
            self.poll_now()

    def action_prev_page(self) -> None:
        view = self.state.tables[self.state.pane]
        if view.offset:
            view.offset = max(0, view.offset - view.limit)
            self._new_view(self.state.pane)
            self.poll_now()

    def action_clear_filter(self) -> None:
        view = self.state.tables.get(self.state.pane)
        if view is not None and view.clear_filter():
            self._new_view(self.state.pane)
            self.notify("Filter cleared.", timeout=2)
            self.poll_now()

    @work(group="dialog")
    async def action_filter(self) -> None:
        pane = self.state.pane
        if pane not in ("jobs", "nodes"):
            self.notify("Filtering works on the nodes (1) and jobs (2) panes.", timeout=3)
            return
        view = self.state.tables[pane]
        hint = (
            "state (pending running failed …), type:code|model|data, node:<node id>"
            if pane == "jobs"
            else "state: active, busy, draining or offline"
        )
        text = await self.push_screen_wait(
            PromptScreen(f"Filter {pane}", hint, value=view.filter_label, placeholder="running")
        )
        if text is None:
            return
        try:
            found = parse_filter(text, jobs=pane == "jobs")
        except ValueError as exc:
            self.notify(str(exc), title="Filter not applied", severity="warning")
            return
        view.status, view.job_type, view.node_id = (
            found["status"],
            found["job_type"],
            found["node_id"],
        )
        view.offset = 0
        self._new_view(pane)
        self.notify(f"Filter: {view.filter_label or 'none'}.", timeout=2)
        self.poll_now()

    @work(group="dialog")
    async def action_jump(self) -> None:
        text = await self.push_screen_wait(
            PromptScreen("Go to a job or node", "a full id, or the end of one shown on screen")
        )
        if not text:
            return
        target = self._resolve_visible(text) or text
        try:
            store = await self._ensure_store()
            found = await snap.poll(
                store,
                snap.ViewRequest(
                    job_detail=target, node_detail=target, triage=False, series_buckets=1
                ),
            )
        except (RedisError, OSError, LcnError) as exc:
            self.notify(f"Cannot look it up: {_one_line(exc)}", severity="error")
            return
        if found.job_detail is not None:
            self.open_job(target)
        elif found.node_detail is not None:
            self.open_node(target)
        else:
            self.notify(f"No job or node {short_id(text, 20)} in pool {self.settings.pool}.",
                        severity="warning")  # fmt: skip

    def _resolve_visible(self, text: str) -> str | None:
        """An id typed as its tail (as the tables show it) matches a row on screen."""
        tail = text.lstrip("…").strip()
        for pane in self.panes():
            for row in pane.table.ordered_rows:
                key = str(row.key.value)
                key = key.partition(":")[2] or key
                if key.endswith(tail):
                    return key
        return None

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.read_only_reason))

    def action_open(self) -> None:
        self._open_selected()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open_selected()

    def _open_selected(self) -> None:
        pane = self.state.pane
        problem = self.selection_problem(pane)
        if problem:
            self.notify(problem, severity="warning", timeout=4)
            return
        key = self._table_key(pane)
        if not key:
            return
        if pane == "jobs":
            self.open_job(key)
        elif pane in ("nodes", "earnings"):
            self.open_node(key)
        elif pane == "triage":
            kind, _, target = key.partition(":")
            if kind == "job":
                self.open_job(target)
            elif kind == "node":
                self.open_node(target)
            else:
                self.notify(f"{target}: nothing to open; see the detail column.", timeout=3)
        elif pane == "swarm" and self.snapshot and self.snapshot.agents:
            agent = next((a for a in self.snapshot.agents.page.rows if a.agent_id == key), None)
            if agent and agent.current_job:
                self.open_job(agent.current_job)
            elif agent:
                self.open_node(agent.node_id)

    def open_job(self, job_id: str) -> None:
        self.push_screen(JobDetailScreen(job_id))
        self.call_after_refresh(self._after_open)

    def open_node(self, node_id: str) -> None:
        self.push_screen(NodeDetailScreen(node_id))
        self.call_after_refresh(self._after_open)

    def _after_open(self) -> None:
        self.update_status()
        self.poll_now()

    # ── operator actions (all through core.actions) ─────────────────────────────────────────

    def refused_read_only(self, title: str) -> bool:
        if self.read_only_reason:
            self.notify(
                f"{title} is disabled: {self.read_only_reason}",
                title="Read-only",
                severity="warning",
            )
            return True
        return False

    async def perform(self, title: str, work: Callable[[Store], Awaitable[str]]) -> str | None:
        """Run one core action and show its outcome; refusals are one sentence."""
        try:
            store = await self._ensure_store()
            outcome = await work(store)
        except LcnError as exc:
            self.notify(str(exc), title=f"{title} refused", severity="error")
            return None
        except (RedisError, OSError) as exc:
            if isinstance(exc, NoPermissionError) or any(p in str(exc) for p in NO_PERMISSION):
                # Inside a script Redis reports it as a script error, worded by version.
                self.read_only_reason = "the Redis user has no write permission."
                self.notify(
                    f"{title} refused by Redis: this user cannot write, so the console is "
                    "now read-only.",
                    severity="error",
                )
                self.update_status()
                return None
            self.notify(f"Redis is unreachable ({_one_line(exc)}); nothing was done.",
                        title=f"{title} failed", severity="error")  # fmt: skip
            return None
        except Exception as exc:
            self.notify(_one_line(exc), title=f"{title} failed", severity="error")
            return None
        self.poll_now()
        return outcome

    def _need(self, kind: str) -> str | None:
        """The selected job or node, or None after saying (one sentence) why there is none."""
        value, problem = self.selected(kind)
        if not value:
            self.notify(problem, severity="warning", timeout=4)
        return value

    async def _read_record(
        self, kind: str, record_id: str
    ) -> snap.JobDetail | snap.NodeDetail | None:
        """The job or node as it stands now (one read), for a confirmation to name its state;
        None after saying why it cannot be read or does not exist."""
        request = (
            snap.ViewRequest(job_detail=record_id, triage=False, series_buckets=1)
            if kind == "job"
            else snap.ViewRequest(node_detail=record_id, triage=False, series_buckets=1)
        )
        try:
            found = await snap.poll(await self._ensure_store(), request)
        except (RedisError, OSError, LcnError) as exc:
            self.notify(f"Cannot read {kind} {short_id(record_id)}: {_one_line(exc)}",
                        severity="error")  # fmt: skip
            return None
        record = found.job_detail if kind == "job" else found.node_detail
        if record is None:
            self.notify(f"No {kind} {short_id(record_id)} in pool {self.settings.pool}; "
                        "nothing was done.", severity="warning")  # fmt: skip
        return record

    async def confirm(self, question: str, detail: str = "", yes: str = "Yes") -> bool:
        screen: Screen[Any] = ConfirmScreen(question, detail, yes)
        return bool(await self.push_screen_wait(screen))

    @work(group="action")
    async def action_reassign(self) -> None:
        job_id = self._need("job")
        if not job_id or self.refused_read_only("Reassign"):
            return
        try:
            capable = await snap.capable_nodes(await self._ensure_store(), job_id)
        except (RedisError, OSError, LcnError) as exc:
            self.notify(f"Cannot list nodes: {_one_line(exc)}", severity="error")
            return
        if not capable.found:
            self.notify(f"No job {short_id(job_id)} in this pool.", severity="warning")
            return
        target = await self.push_screen_wait(ReassignScreen(job_id, capable))
        if target is None:
            return
        moved = await self.perform(
            "Reassign",
            lambda s: actions.reassign_job(s, self.operator, job_id, target or None),
        )
        if moved:
            self.notify(f"Job {short_id(job_id)} moved to node {short_id(moved)}.",
                        title="Reassigned")  # fmt: skip

    @work(group="action")
    async def action_cancel(self) -> None:
        job_id = self._need("job")
        if not job_id or self.refused_read_only("Cancel"):
            return
        job = await self._read_record("job", job_id)
        if not isinstance(job, snap.JobDetail):
            return
        if not await self.confirm(
            f"Cancel job {short_id(job_id)}, now {job_state(job)}?",
            f"Its hold of {usd(job.job.held)} is released and its agent's result will be refused.",
            "Cancel job",
        ):
            return
        outcome = await self.perform(
            "Cancel", lambda s: actions.cancel_job(s, self.operator, job_id)
        )
        if outcome:
            self.notify(f"Job {short_id(job_id)} is {outcome}.", title="Cancelled")

    @work(group="action")
    async def action_retry(self) -> None:
        job_id = self._need("job")
        if not job_id or self.refused_read_only("Retry"):
            return
        outcome = await self.perform("Retry", lambda s: actions.retry_job(s, self.operator, job_id))
        if outcome:
            self.notify(f"Job {short_id(job_id)} is {outcome} again.", title="Retried")

    async def _node_action(self, action: str, title: str, question: str | None) -> None:
        node_id = self._need("node")
        if not node_id or self.refused_read_only(title):
            return
        if question:
            node = await self._read_record("node", node_id)
            if not isinstance(node, snap.NodeDetail):
                return
            shown = f"{short_id(node_id)} ({node_state(node)})"
            if not await self.confirm(question.format(node=shown), yes=title):
                return
        outcome = await self.perform(
            title, lambda s: actions.node_action(s, self.operator, action, node_id)
        )
        if outcome:
            self.notify(f"Node {short_id(node_id)} is {outcome}.", title=title)

    @work(group="action")
    async def action_drain(self) -> None:
        await self._node_action(
            "drain", "Drain", "Drain node {node}? It takes no new jobs; running ones finish."
        )

    @work(group="action")
    async def action_undrain(self) -> None:
        await self._node_action("undrain", "Undrain", None)

    @work(group="action")
    async def action_offline(self) -> None:
        await self._node_action(
            "offline",
            "Offline",
            "Take node {node} offline? Its jobs go back to the queue, and it stays offline"
            " until you bring it back online (O).",
        )

    @work(group="action")
    async def action_online(self) -> None:
        await self._node_action("online", "Online", None)

    # ── money actions (core.payments.actions: audited; refused when payments are off) ──────

    async def _with_payments(
        self, title: str, work: Callable[[Store, Payments | None], Awaitable[str]]
    ) -> str | None:
        payments = Payments.from_settings(self.settings)  # None: payments are off
        try:
            return await self.perform(title, lambda store: work(store, payments))
        finally:
            if payments is not None:
                await payments.aclose()

    @work(group="action")
    async def action_pay_out(self) -> None:
        node_id = self._need("node")
        if not node_id or self.refused_read_only("Pay out"):
            return
        node = await self._read_record("node", node_id)
        if not isinstance(node, snap.NodeDetail):
            return
        try:
            store = await self._ensure_store()
            balance = opt_int(await store.redis.hget(store.keys.balances, f"node:{node_id}")) or 0
        except (RedisError, OSError) as exc:
            self.notify(f"Cannot read node {short_id(node_id)}'s balance: {_one_line(exc)}",
                        severity="error")  # fmt: skip
            return
        cents, _ = whole_cents(max(0, balance))
        payable = to_micro(cents)
        if not await self.confirm(
            f"Pay node {short_id(node_id)} ({node_state(node)}) {format_usd(payable)} now?",
            f"Its available whole cents ({format_usd(payable)} of "
            f"{format_usd(balance)}) go to its Stripe Connect account.",
            "Pay out",
        ):
            return

        async def pay(store: Store, payments: Payments | None) -> str:
            run = await payments_actions.pay_out_node(store, payments, self.operator, node_id)
            total = sum(p.amount_micro_usd for p in run.payouts)
            return f"{len(run.payouts)} payout(s), {format_usd(total)}"

        outcome = await self._with_payments("Pay out", pay)
        if outcome:
            self.notify(f"Node {short_id(node_id)}: {outcome}.", title="Paid out")

    async def _ask_id(self, title: str, hint: str) -> str | None:
        answer = await self.push_screen_wait(PromptScreen(title, hint))
        return answer.strip() if answer and answer.strip() else None

    @work(group="action")
    async def action_retry_payout(self) -> None:
        if self.refused_read_only("Retry payout"):
            return
        payout_id = await self._ask_id("Retry payout", "The payout id (lcn payouts list).")
        if not payout_id:
            return

        async def retry(store: Store, payments: Payments | None) -> str:
            payout = await payments_actions.retry_payout(store, payments, self.operator, payout_id)
            return payout.status

        outcome = await self._with_payments("Retry payout", retry)
        if outcome:
            self.notify(f"Payout {payout_id} is {outcome}.", title="Payout retried")

    @work(group="action")
    async def action_refund(self) -> None:
        if self.refused_read_only("Refund"):
            return
        purchase_id = await self._ask_id("Refund", "The purchase id (lcn payments purchases).")
        if not purchase_id:
            return
        try:
            purchase = await records.get_purchase(await self._ensure_store(), purchase_id)
        except (RedisError, OSError, LcnError) as exc:
            self.notify(f"Cannot refund purchase {purchase_id}: {_one_line(exc)}",
                        title="Refund refused", severity="error")  # fmt: skip
            return
        left = purchase.amount_micro_usd - purchase.refunded_micro_usd
        if not await self.confirm(
            f"Refund purchase {purchase_id} ({purchase.status}): {format_usd(left)} to "
            f"{purchase.buyer}?",
            f"Paid {format_usd(purchase.amount_micro_usd)}, refunded "
            f"{format_usd(purchase.refunded_micro_usd)} so far; all that is left goes back.",
            "Refund",
        ):
            return

        async def refund(store: Store, payments: Payments | None) -> str:
            done = await payments_actions.refund_purchase(
                store, payments, self.operator, purchase_id, "all"
            )
            return done.status

        outcome = await self._with_payments("Refund", refund)
        if outcome:
            self.notify(f"Refund of {purchase_id} is {outcome}.", title="Refunded")

    async def action_quit(self) -> None:
        await self._drop_store()
        self.exit()


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


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def run_console(
    settings: Settings,
    *,
    read_only: bool = False,
    refresh: float = 1.0,
    operator: str | None = None,
) -> None:
    """Run the console in this terminal until the operator quits (`lcn console`, `lcn demo`)."""
    LcnConsole(settings, read_only=read_only, refresh=refresh, operator=operator).run()


async def run_console_async(
    settings: Settings,
    *,
    read_only: bool = False,
    refresh: float = 1.0,
    operator: str | None = None,
) -> None:
    """The same, inside an event loop that is already running (`lcn demo` runs the network
    and the console side by side)."""
    await LcnConsole(settings, read_only=read_only, refresh=refresh, operator=operator).run_async()
