"""What the status line and the banner say: the connection, the refresh, read-only, the counts
and the triage, then the pool, the timing and the operator."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from rich.text import Text

from console.format import clock, compact
from console.poller import Health
from console.state import ConsoleState
from console.widgets.status_line import Banner, StatusLine
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
) -> list[tuple[str, str]]:
    """Most important first, as a narrow terminal cuts the end: connection, refresh,
    read-only, counts, triage, then pool, timing (None: not shown) and operator."""
    parts: list[tuple[str, str]] = []
    if health.connected:
        parts.append(("● live ", "ok"))
    elif snapshot is None and not health.last_error:
        parts.append(("○ connecting ", "dim"))
    else:
        parts.append(("✖ Redis down ", "down"))
    if state.paused:
        parts.append(("PAUSED ", "paused"))
    else:
        parts.append((f"every {state.refresh:g}s ", ""))
    if read_only:
        parts.append(("READ-ONLY ", "readonly"))
    s = snapshot
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
    parts.append((f"│ {pool} ", "dim"))
    if timing_ms is not None and health.connected:
        parts.append((f"{timing_ms:.0f}ms ", "dim"))
    parts.append((f"│ {operator}", "dim"))
    return parts


def banner_text(health: Health) -> str:
    """The banner while Redis is away ("" hides it)."""
    if health.connected or not health.last_error:
        return ""
    since = ""
    if health.last_ok_ms:
        since = f" Showing data from {clock(health.last_ok_ms)}."
    return f"Redis is unreachable ({health.last_error}).{since} Reconnecting by itself…"


def show(app: LcnConsole) -> None:
    """Show the status line and the banner on every screen (detail screens have their own)."""
    health = app.poller.health
    timing = app.poll_ms + app.apply_ms if app.show_timing else None
    parts = status_parts(health, app.snapshot, app.state, read_only=bool(app.read_only_reason),
                         pool=app.settings.pool, operator=app.operator,
                         timing_ms=timing)  # fmt: skip
    text = banner_text(health)
    for screen in app.screen_stack:
        with contextlib.suppress(Exception):
            screen.query_one(StatusLine).show(parts)
        with contextlib.suppress(Exception):
            banner = screen.query_one(Banner)
            banner.update(Text(text))
            banner.set_class(bool(text), "-shown")
