"""The terminal bell for new triage items: an open console rings when an item that would page
someone (core/alerts/alert.py: `alertable`) appears, once per poll that brings new ones (a
region going dark rings once, not once per node), never again for an item still there. What is
there when the console opens is the baseline, not news. `:bell` turns it off or on;
LCN_BELL=off or `lcn console --no-bell` starts with it off."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.alerts.alert import alertable
from core.reads.triage import Triage

if TYPE_CHECKING:
    from console.app import LcnConsole


@dataclass
class TriageBell:
    muted: bool | None = None  # None: as LCN_BELL says; `:bell` sets it
    seen: set[str] | None = None  # items on screen at the last poll; None before the first
    rung: int = 0  # times it rang
    noticed: int = 0  # polls that brought news, rung or not (silenced, or the first poll)
    news: list[str] = field(default_factory=list)  # the items that rang it last

    def observe(self, triage: Triage | None) -> bool:
        """Take a poll's triage; whether it brought an item not there at the previous one."""
        if triage is None:
            return False
        now = {f"{i.kind}:{i.target}" for i in triage.items if alertable(i)}
        first, before = self.seen is None, self.seen or set()
        self.seen = now
        self.news = sorted(now - before)
        self.noticed += bool(self.news)
        return bool(self.news) and not first


def enabled(app: LcnConsole) -> bool:
    bell = app.state.bell
    return app.settings.bell if bell.muted is None else not bell.muted


def ring_for_news(app: LcnConsole, triage: Triage | None) -> None:
    """Called with every polled snapshot (paused too: the bell is about the network)."""
    bell = app.state.bell
    if bell.observe(triage) and enabled(app):
        bell.rung += 1
        app.bell()


def toggle(app: LcnConsole) -> None:
    """`:bell`: silence the bell, or let it ring again."""
    app.state.bell.muted = enabled(app)
    app.notify(
        "Bell on: a new triage item rings it."
        if enabled(app)
        else "Bell off: new triage items no longer ring.",
        timeout=2,
    )
