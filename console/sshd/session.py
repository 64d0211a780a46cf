"""One SSH session: its own console App, drawn on the channel's pseudo-terminal, acting as the
key that signed in. It ends when the operator quits, the client goes, the key is revoked (or
its role changes), or nothing was typed for the idle timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import asyncssh
from rich.color import ColorSystem

from console.app import LcnConsole
from console.sshd.driver import Terminal, driver_for
from core.access import Actor, by_fingerprint

if TYPE_CHECKING:
    from console.sshd.server import Service

log = logging.getLogger("lcn.ssh")


def color_system(term: str, env: dict[str, str]) -> ColorSystem | None:
    """What the client's terminal shows: from the TERM its pty request carries (and COLORTERM
    when the client sends it), as Rich decides it for a local terminal."""
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return ColorSystem.TRUECOLOR
    if term in ("", "dumb", "unknown"):
        return None
    return ColorSystem.EIGHT_BIT if "256" in term else ColorSystem.STANDARD


class ConsoleSession(asyncssh.SSHServerSession[str]):
    """A pty session running the console; shell, exec and subsystem requests other than the
    console itself are refused."""

    def __init__(self, service: Service, actor: Actor, peer: str) -> None:
        self.service = service
        self.actor = actor
        self.peer = peer
        self.chan: asyncssh.SSHServerChannel[str] | None = None
        self.term = ""
        self.terminal = Terminal(self._write, (80, 24))
        self.has_pty = False
        self.app: LcnConsole | None = None
        self.task: asyncio.Task[None] | None = None
        self.last_input = time.monotonic()
        self.ended = ""  # why the server ended it, said after the console is gone
        self.closing = False

    # ── the channel ──────────────────────────────────────────────────────────────────────────

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Mapping[int, int]) -> bool:  # fmt: skip
        self.has_pty = True
        self.term = term_type
        if term_size[0] and term_size[1]:
            self.terminal.size = (term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True  # the "shell" is the console; there is no other

    def exec_requested(self, command: str) -> bool:
        log.info("refused exec for key %s from %s", self.actor.name, self.peer)
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("refused subsystem %r for key %s from %s", subsystem, self.actor.name, self.peer)
        return False

    def session_started(self) -> None:
        if not self.has_pty:
            self._end_now("lcn serve ssh shows the console: connect with a terminal (ssh -t).")
            return
        problem = self.service.limits.refuse_session(self.actor.name)
        if problem:
            log.info("refused a session for key %s from %s: %s", self.actor.name, self.peer,
                     problem)  # fmt: skip
            self._end_now(problem)
            return
        self.service.limits.opened(self.actor.name)
        self.service.sessions.add(self)
        self.task = asyncio.ensure_future(self._run())

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self.last_input = time.monotonic()
        if self.terminal.driver is not None:
            self.terminal.driver.feed(data)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:  # fmt: skip
        if width and height:
            if self.terminal.driver is not None:
                self.terminal.driver.resize(width, height)
            else:
                self.terminal.size = (width, height)

    def pause_writing(self) -> None:
        """The channel's buffer is over its high-water mark: the client stopped reading."""
        self.terminal.paused = True

    def resume_writing(self) -> None:
        """The buffer drained: draw the whole screen again if frames were dropped meanwhile."""
        self.terminal.paused = False
        if self.terminal.dropped and self.app is not None:
            log.debug("key %s from %s reads again; %d bytes of frames were dropped meanwhile",
                     self.actor.name, self.peer, self.terminal.dropped)  # fmt: skip
            self.terminal.dropped = 0
            self.app.refresh(layout=True)  # as Textual does after a suspend: every line again

    def break_received(self, msec: int) -> bool:
        return False

    def eof_received(self) -> bool:
        self.end("")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.chan = None
        self.end("")

    # ── the console ──────────────────────────────────────────────────────────────────────────

    def _write(self, data: str) -> None:
        if self.chan is not None and not self.chan.is_closing():
            self.chan.write(data)

    def _end_now(self, message: str) -> None:
        if self.chan is not None:
            self.chan.write(message + "\r\n")
            self.chan.exit(1)

    def end(self, why: str) -> None:
        """Close the console (the session ends when it has gone); `why` is told to the client."""
        self.ended = self.ended or why
        self.closing = True
        if self.app is not None:
            self.app.exit()

    async def _run(self) -> None:
        name = self.actor.name
        log.info("session for key %s (%s) from %s, %s %dx%d", name, self.actor.role.label,
                 self.peer, self.term or "no TERM", *self.terminal.size)  # fmt: skip
        watch = asyncio.ensure_future(self._watch())
        try:
            # A viewer's console is read-only (console.actions.dispatch.read_only_reason).
            app = self.app = LcnConsole(self.service.settings, operator=self.actor)
            env: dict[str, Any] = dict(self.chan.get_environment()) if self.chan else {}
            # Rich decides colours from the server's environment; the client's is what counts.
            app.console._color_system = color_system(self.term, env)
            app.driver_class = driver_for(self.terminal)
            if not self.closing:  # the client may have gone while the console was made
                await app.run_async(mouse=False, size=self.terminal.size)
        except Exception:
            log.exception("the console of key %s from %s failed", name, self.peer)
            self.ended = self.ended or "The console failed; the server's log says why."
        finally:
            watch.cancel()
            self.service.limits.closed(name)
            self._restore_stdio()
            log.info("session for key %s from %s ended%s", name, self.peer,
                     f": {self.ended}" if self.ended else "")  # fmt: skip
            if self.chan is not None:
                if self.ended:
                    self.chan.write(self.ended + "\r\n")
                self.chan.exit(0 if not self.ended else 1)
            self.service.sessions.discard(self)

    async def _watch(self) -> None:
        """Every few seconds: the key still granted, with the same role, and not idle."""
        every = self.service.ssh.grant_check_s
        while True:
            await asyncio.sleep(every)
            idle = time.monotonic() - self.last_input
            if idle >= self.service.ssh.idle_timeout_s:
                self.end(f"Idle for {int(idle)}s; the session is closed.")
                return
            with contextlib.suppress(Exception):  # Redis away: keep the session, retry
                grant = await by_fingerprint(await self.service.store(), self.actor.fingerprint)
                if grant is None or grant.name != self.actor.name:
                    self.end(f"Key {self.actor.name} was revoked; the session is closed.")
                    return
                if grant.role != self.actor.role.label:
                    self.end(f"Key {self.actor.name} now has the {grant.role} role; connect again.")
                    return

    def _restore_stdio(self) -> None:
        # Each App redirects sys.stdout/stderr while it runs; sessions end in any order, so
        # the last one puts the server's own back.
        if not self.service.limits.total:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
