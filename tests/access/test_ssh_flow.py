"""`lcn serve ssh` and a client that stops reading: the server's buffer for it stays bounded
(frames are dropped, not queued) and the client gets the whole screen again when it reads
again. In-process: the server's own `start`, and an asyncssh client whose SSH window is small,
so that pausing its reads stops the server's sending after a few kilobytes."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncssh
import pytest

from console.sshd.config import SshSettings
from console.sshd.driver import START, STOP, SYNC_END, SYNC_START, Terminal
from console.sshd.server import start
from console.sshd.session import ConsoleSession
from core import actions
from core.config import Settings
from core.devkit import seed
from core.store import Store
from tests.access.keyfiles import key_pair
from tests.redis_servers import free_port

WAIT_S = 20.0
WINDOW = 8_192  # the client's SSH window: what the server may send before the client reads
HIGH_WATER = 65_536  # asyncssh's default for a channel's send buffer


class Screen(asyncssh.SSHClientSession[str]):
    """What the client received, as one string."""

    def __init__(self) -> None:
        self.text = ""

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self.text += data


async def until(check: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_client_that_stops_reading_costs_a_bounded_buffer_then_sees_everything(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    await seed.seed(store)
    private, public = key_pair(tmp_path, "slow")
    await actions.grant_key(store, "admin@test", "slow", str(public), "viewer")
    port = free_port()
    acceptor, service = await start(
        settings, SshSettings(), host="127.0.0.1", port=port, host_key=tmp_path / "host"
    )
    try:
        async with asyncssh.connect(
            "127.0.0.1", port, username="lcn", client_keys=[str(private)], known_hosts=None
        ) as conn:
            chan, screen = await conn.create_session(
                Screen, term_type="xterm-256color", term_size=(120, 40), window=WINDOW
            )
            await until(lambda: "Nodes" in screen.text, "the first screen")
            (session,) = service.sessions
            assert isinstance(session, ConsoleSession) and session.chan is not None
            chan.pause_reading()  # the client stops reading: its window is not reopened
            largest = 0
            for i in range(40):  # every resize redraws the whole screen (several kB)
                chan.change_terminal_size(100 + 20 * (i % 2), 40)
                await asyncio.sleep(0.1)
                largest = max(largest, session.chan.get_write_buffer_size())
            assert session.terminal.paused and session.terminal.dropped > 40 * 1_000
            # Queued, forty full screens would have been several hundred kB; dropped, the
            # buffer never holds much more than its high-water mark and one frame.
            assert largest < 2 * HIGH_WATER, largest
            screen.text = ""
            chan.resume_reading()
            await until(lambda: not session.terminal.paused, "the buffer to drain")
            # A full repaint: the pane titles, drawn once and unchanged since, come again.
            await until(lambda: "Nodes" in screen.text and "Jobs" in screen.text, "a repaint")
            assert session.terminal.dropped == 0
            chan.close()
    finally:
        acceptor.close()
        for session in list(service.sessions):
            session.end("test over")
        await until(lambda: not service.sessions, "the consoles to close")
        await service.close()


@pytest.mark.parametrize("mode", [START, STOP, SYNC_START, SYNC_END])
def test_mode_switches_pass_while_paused(mode: str) -> None:
    sent: list[str] = []
    terminal = Terminal(sent.append, (80, 24))
    terminal.paused = True
    terminal.write("a frame")
    terminal.write(mode)
    assert sent == [mode] and terminal.dropped == len("a frame")
