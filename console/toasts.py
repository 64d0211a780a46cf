"""One toast at a time. A new notification replaces the one showing; the same one again while
it shows is counted (`… ×3`) instead of stacking. The title goes on the message's line, so a
toast is one line tall: it sits on the pane's bottom border, above the footer, and covers no
table row, no key in the footer and (styles/lcn.tcss) no dialog at 80×24.

Text is always literal: notifications carry ids, errors and filters from data, and markup in
them would be drawn (or, unbalanced, raise and take the console down)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from textual.app import App
from textual.notifications import SeverityLevel

DEFAULT_TIMEOUT_S = 5.0


class Send(Protocol):
    """Textual's App.notify, which draws the toast."""

    def __call__(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...


@dataclass
class Showing:
    key: tuple[str, str, str]  # title, message, severity
    count: int
    until: float  # time.monotonic() when Textual takes it down


_showing: WeakKeyDictionary[App[Any], Showing] = WeakKeyDictionary()


def text_of(message: str, title: str, count: int) -> str:
    """The toast's one line: `Title: message ×count`."""
    line = f"{title}: {message}" if title else message
    return f"{line} ×{count}" if count > 1 else line


def show(
    app: App[Any],
    send: Send,
    message: str,
    *,
    title: str = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """Show `message` as the only toast, counting it if it repeats the one showing."""
    seconds = DEFAULT_TIMEOUT_S if timeout is None else timeout
    key = (title, message, severity)
    now = time.monotonic()
    previous = _showing.get(app)
    count = previous.count + 1 if previous and previous.key == key and now < previous.until else 1
    _showing[app] = Showing(key, count, now + seconds)
    app.clear_notifications()
    send(text_of(message, title, count), severity=severity, timeout=seconds, markup=False)
