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

from console.glyphs import ascii_of, plain

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
class Toasts:
    """What one app shows: the toast's key, how often it came, until when it shows, and the
    one waiting to replace it (drawn once the notifications already posted are handled)."""

    key: tuple[str, str, str] = ("", "", "")  # title, message, severity
    count: int = 0
    until: float = 0.0  # time.monotonic() when Textual takes it down
    waiting: tuple[Send, SeverityLevel, float] | None = None


_apps: WeakKeyDictionary[App[Any], Toasts] = WeakKeyDictionary()


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
    toasts = _apps.setdefault(app, Toasts())
    key = (title, message, severity)
    now = time.monotonic()
    repeat = toasts.key == key and (now < toasts.until or toasts.waiting is not None)
    toasts.count = toasts.count + 1 if repeat else 1
    toasts.key, toasts.until = key, now + seconds
    if toasts.waiting is None:
        # Textual adds a toast when it handles the message App.notify posts: replacing it
        # must wait until then, so a burst in one tick becomes one toast.
        app.call_later(_draw, app)
    toasts.waiting = (send, severity, seconds)


def _draw(app: App[Any]) -> None:
    toasts = _apps.get(app)
    if toasts is None or toasts.waiting is None:
        return
    send, severity, seconds = toasts.waiting
    toasts.waiting = None
    title, message, _ = toasts.key
    app.clear_notifications()
    line = plain(text_of(message, title, toasts.count), ascii_of(app))  # ASCII: `x3`, `</>`
    send(line, severity=severity, timeout=seconds, markup=False)
