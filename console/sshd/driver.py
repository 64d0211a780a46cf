"""A Textual driver whose terminal is an SSH channel: the App's output is written to the channel
and the client's keystrokes, fed in by the session, are parsed as Textual parses a local tty's
(XTermParser). No thread and no signal: everything runs on the server's event loop, so many
consoles share one process. Resizes come from the client's window-change requests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO

from textual import events
from textual._ansi_sequences import SYNC_END, SYNC_START
from textual._xterm_parser import XTermParser  # the parser Textual's own Linux driver uses
from textual.app import App
from textual.driver import Driver
from textual.geometry import Size

ESCAPE_DELAY_S = 0.1  # a lone ESC is a key once this passes with nothing after it

# Alternate screen, hidden cursor, bracketed paste, no line wrap: as the Linux driver sets up,
# without mouse reporting (the console is keyboard-only) and without terminal queries.
START = "\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[?7l"
STOP = "\x1b[?7h\x1b[?2004l\x1b[?1049l\x1b[?25h"


class Terminal:
    """What the driver needs of the SSH session: somewhere to write and the current size.

    Flow control: a client that stops reading (a suspended `ssh`, a stalled link, a terminal
    paused with Ctrl-S) fills its SSH window, and whatever the console draws next would wait in
    the server's buffer without bound, for as long as the session lasts. While the channel says
    its buffer is full (`paused`), frames are dropped instead; when it drains, the session has
    the console draw the whole screen again, so the client sees the present, not a backlog. Mode
    switches (the alternate screen on and off, a synchronized update's start and end) always
    pass: the client's terminal must never be left in one."""

    PASS_WHILE_PAUSED = frozenset({START, STOP, SYNC_START, SYNC_END})

    def __init__(self, send: Callable[[str], None], size: tuple[int, int]) -> None:
        self.send = send
        self.size = size
        self.driver: ChannelDriver | None = None
        self.paused = False
        self.dropped = 0  # bytes of frames dropped while paused

    def write(self, data: str) -> None:
        if self.paused and data not in self.PASS_WHILE_PAUSED:
            self.dropped += len(data)
            return
        self.send(data)


class ChannelDriver(Driver):
    """Drives an App through `terminal` (class attribute, set per session by `driver_for`)."""

    terminal: Terminal

    def __init__(
        self,
        app: App[Any],
        *,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(app, debug=debug, mouse=False, size=size)
        self._parser = XTermParser(debug)
        self._tick: asyncio.TimerHandle | None = None
        self._input = True
        self.terminal.driver = self

    def write(self, data: str) -> None:
        self.terminal.write(data)

    def flush(self) -> None:
        """Writes go to the channel's buffer at once; asyncssh sends them."""

    def start_application_mode(self) -> None:
        self.write(START)
        self.resize(*self.terminal.size)

    def disable_input(self) -> None:
        self._input = False
        if self._tick is not None:
            self._tick.cancel()

    def stop_application_mode(self) -> None:
        self.disable_input()
        self.write(STOP)

    def feed(self, data: str) -> None:
        """Keystrokes from the client."""
        if not self._input:
            return
        for message in self._parser.feed(data):
            self.process_message(message)
        if self._tick is not None:
            self._tick.cancel()
        self._tick = self._loop.call_later(ESCAPE_DELAY_S, self._flush_pending)

    def _flush_pending(self) -> None:
        self._tick = None
        if self._input:
            for message in self._parser.tick():
                self.process_message(message)

    def deliver_binary(self, binary: BinaryIO | TextIO, **_: Any) -> None:
        """Textual's "save screenshot" (and any other file) would be written on the server, not
        on the client's machine: refused."""
        self._app.notify("Files are not saved over SSH: they would be written on the server.",
                         severity="warning")  # fmt: skip

    def resize(self, width: int, height: int) -> None:
        """The client's window changed (or the session began): tell the App."""
        self.terminal.size = (width, height)
        size = Size(width, height)
        self.send_message(events.Resize(size, size))


def driver_for(terminal: Terminal) -> type[ChannelDriver]:
    """A driver class bound to one session's terminal (Textual makes the driver itself)."""
    return type("SessionDriver", (ChannelDriver,), {"terminal": terminal})
