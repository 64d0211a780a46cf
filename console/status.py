"""What the status line and the banner say: the connection, the refresh, read-only, the counts
and the triage, then the pool, the timing and the operator; while the console starts, what it
is doing (starting Redis, connecting, the first poll)."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING
from weakref import WeakSet

from rich.text import Text

from console.format import clock, compact
from console.glyphs import CONNECTING, DOWN, LIVE, pick, plain
from console.poller import Health
from console.replay.control import replaying, timeline_parts
from console.state import ConsoleState
from console.widgets.status_line import Banner, Part, StatusLine
from core.access.roles import Actor, Operator
from core.reads.snapshot import Snapshot

if TYPE_CHECKING:
    from console.app import LcnConsole


def status_parts(
    health: Health,
    snapshot: Snapshot | None,
    state: ConsoleState,
    *,
    read_only: bool,
    pool: str,
    operator: str,
    timing_ms: float | None,
    timeline: list[Part] | None = None,
) -> list[Part]:
    """The status line in reading order: connection, refresh or PAUSED, read-only, counts,
    triage, pool, timing (None: not shown) and operator. Each part has a rank: a narrow
    terminal keeps the connection, the triage count and the pool, then PAUSED and READ-ONLY,
    and drops the rest first (console.widgets.status_line.fit). A replay's `timeline`
    (console.replay.control) takes the place of the connection, the refresh and READ-ONLY."""
    plain = state.ascii
    parts: list[Part] = []
    if timeline is not None:
        parts += timeline
    elif health.connected:
        parts.append(Part(f"{pick(LIVE, plain)} live ", "ok", 0))
    elif snapshot is None and not health.last_error:
        parts.append(Part(f"{pick(CONNECTING, plain)} connecting ", "dim", 0))
    else:
        parts.append(Part(f"{pick(DOWN, plain)} Redis down ", "down", 0))
    if timeline is None:
        if state.paused:
            parts.append(Part("PAUSED ", "paused", 3))
        else:
            parts.append(Part(f"every {state.refresh:g}s ", "", 8))
        if read_only:
            parts.append(Part("READ-ONLY ", "readonly", 3))
    bar = "| " if plain else "│ "
    dot = "-" if plain else "·"
    s = snapshot
    if s is not None:
        n, j = s.counts.nodes_by_status, s.counts.jobs_by_status
        running = j.get("running", 0) + j.get("assigned", 0)
        parts += [
            Part(f"{bar}nodes {compact(s.counts.nodes)} ", "", 5),
            Part(f"({compact(n.get('offline', 0))} off) ", "dim", 6),
            Part(f"{bar}run {compact(running)} {dot} wait {compact(j.get('pending', 0))} {dot} "
                 f"fail {compact(j.get('failed', 0))} ", "", 4),
            Part(f"{bar}agents {compact(s.counts.agents_live)} ", "", 7),
        ]  # fmt: skip
        if s.triage is not None and s.triage.items:
            serious = sum(1 for i in s.triage.items if i.severity in ("critical", "high"))
            parts.append(Part(f"{bar}triage {len(s.triage.items)} ", "down" if serious else "", 1))
    parts.append(Part(f"{bar}{pool} ", "pane", 2))
    if timing_ms is not None and health.connected and timeline is None:
        parts.append(Part(f"{timing_ms:.0f}ms ", "dim", 9))
    parts.append(Part(f"{bar}{operator}", "dim", 9))
    return parts


def banner_text(health: Health) -> str:
    """The banner while Redis is away, or what the console is doing before its first
    snapshot ("" hides it)."""
    if health.connected:
        return ""
    if not health.last_error:
        return "" if health.reads else health.phase
    since = ""
    if health.last_ok_ms:
        since = f" Showing data from {clock(health.last_ok_ms)}."
    return f"Redis is unreachable ({health.last_error}).{since} Reconnecting by itself…"


def shown_operator(operator: Operator) -> str:
    """Who the console acts as: a local name, or an SSH key's name and role."""
    return f"{operator.name} ({operator.role.label})" if isinstance(operator, Actor) else operator


def show(app: LcnConsole) -> None:
    """Show the status line and the banner on every screen (detail screens have their own)."""
    health = app.poller.health
    timing = app.poll_ms + app.apply_ms if app.show_timing else None
    parts = status_parts(health, app.snapshot, app.state, read_only=bool(app.read_only_reason),
                         pool=app.settings.pool, operator=shown_operator(app.operator),
                         timing_ms=timing,
                         timeline=timeline_parts(app, app.state.ascii))  # fmt: skip
    text = plain(banner_text(health), app.state.ascii) if replaying(app) is None else ""
    starting = bool(text) and not health.last_error
    # The glyph set reaches the borders too: the App's -ascii class (styles/lcn.tcss) draws
    # them with + - | on a terminal without box-drawing characters.
    app.set_class(app.state.ascii, "-ascii")
    for screen in app.screen_stack:
        with contextlib.suppress(Exception):
            screen.query_one(StatusLine).show(parts)
        with contextlib.suppress(Exception):
            banner = screen.query_one(Banner)
            if banner.shown_text != text or not StatusLine.skip_unchanged:
                # Static.update lays the screen out again: only when the text changed.
                banner.shown_text = text
                banner.update(Text(text))
            banner.set_class(bool(text), "-shown")
            banner.set_class(starting, "-starting")
    if app.snapshot is None and health.reads == 0 and not health.last_error:
        _follow_startup(app)


_following: WeakSet[LcnConsole] = WeakSet()


def _follow_startup(app: LcnConsole) -> None:
    """Until the first snapshot is drawn, show the startup phase as it changes (the poller
    connects in a worker; nothing else redraws the status before the first poll ends)."""
    if app in _following:
        return
    _following.add(app)

    def tick() -> None:
        health = app.poller.health
        if app.snapshot is not None or health.reads or health.last_error:
            # Drawn, or failing: the poller's messages update the status from here on.
            timer.stop()
            _following.discard(app)
        show(app)

    timer = app.set_interval(0.1, tick)
