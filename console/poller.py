"""The console's one poller: it owns the Store connection, reads a snapshot (one pipelined round
trip, only what is on screen) and posts it to the App as a message, then sleeps for the refresh
interval. It waits until the App has drawn a snapshot before it sleeps, so two polls never
overlap and a slow Redis slows the console down instead of piling requests up.

It runs as a Textual worker (`LcnConsole` starts it after the first layout). Actions borrow its
connection (`store()`), so the console holds one connection, not one per action.

Where a snapshot comes from is its `source`: the live pool (`LiveSource`), or a recording
(console.replay.source) — the panes draw either the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from textual.app import App
from textual.message import Message

from core.config import Settings
from core.errors import LcnError
from core.reads import snapshot as snap
from core.store import Keys, Store, connect

RETRY_S = (0.5, 1.0, 2.0, 5.0)  # reconnect backoff while Redis is away


class PollHost(Protocol):
    """What the poller asks of the App it polls for."""

    def view_request(self) -> snap.ViewRequest:
        """The windows on screen now."""
        ...

    def wants_poll(self, forced: bool) -> bool:
        """Whether to read now (a paused console reads only what was asked for anew)."""
        ...

    def refresh_interval(self) -> float: ...

    def post_message(self, message: Message) -> bool: ...


class SnapshotSource(Protocol):
    """Where the poller's snapshots come from."""

    live: bool  # False: a recording; the console is read-only and says what time it shows

    async def read(self, request: snap.ViewRequest) -> snap.Snapshot: ...

    async def close(self) -> None:
        """Let go of what it holds (the poller's `close`); the next read opens it again."""
        ...


class LiveSource:
    """The pool as it is now: one pipelined read over the poller's connection."""

    live = True

    def __init__(self, poller: Poller) -> None:
        self.poller = poller

    async def read(self, request: snap.ViewRequest) -> snap.Snapshot:
        return await snap.poll(await self.poller.store(), request)

    async def close(self) -> None:
        """The connection is the poller's own: it closes it."""


@dataclass
class Health:
    """How the connection stands, for the status line and the banner."""

    connected: bool = False
    last_error: str | None = None
    last_ok_ms: int | None = None  # the clock of the last snapshot read
    failures: int = 0  # failed polls in a row: the reconnect backoff
    reads: int = 0  # snapshots read since the start
    poll_ms: float = 0.0  # how long the last read took
    # What the console is doing before its first snapshot (the banner says it, so the screen
    # is never blank for the seconds an embedded Redis takes to start).
    phase: str = "Starting…"


class Poller:
    class Polled(Message):
        """A snapshot was read. The App draws it, then sets `drawn` (the poller waits for it)."""

        def __init__(self, snapshot: snap.Snapshot, *, recovered: bool) -> None:
            super().__init__()
            self.snapshot = snapshot
            self.recovered = recovered  # the first read after Redis was away
            self.drawn = asyncio.Event()

    class Failed(Message):
        """A poll failed: Redis is away (`redis`: the banner says so), or a bug (a toast)."""

        def __init__(self, error: str, *, redis: bool) -> None:
            super().__init__()
            self.error = error
            self.redis = redis

    def __init__(self, settings: Settings, host: PollHost) -> None:
        self.settings = settings
        self.host = host
        self.health = Health(phase=starting_phrase(settings))  # what the first poll does
        self._store: Store | None = None
        self._wake = asyncio.Event()
        self.source: SnapshotSource = LiveSource(self)

    async def store(self) -> Store:
        """The connection, made on first use and again after Redis went away."""
        if self._store is None:
            if self.health.reads == 0:
                self.health.phase = starting_phrase(self.settings)
            self._store = await connect(self.settings)
            if self.health.reads == 0:
                self.health.phase = "Connected; reading the first snapshot of the pool…"
        return self._store

    def use_pool(self, settings: Settings) -> None:
        """Read another pool from the next poll on (`:pool`): the same connection with the other
        pool's key names. A poll already under way is dropped, not drawn (see poll_once)."""
        self.settings = settings
        if self._store is not None:
            self._store = dataclasses.replace(self._store, keys=Keys(settings.pool))
        self.wake()

    async def close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            with contextlib.suppress(Exception):
                await store.close()
        with contextlib.suppress(Exception):
            await self.source.close()

    def start(self, app: App[Any]) -> None:
        """Poll in a worker of `app` until it exits (a second start replaces the first)."""
        app.run_worker(self.run(), name="poll", group="poll", exclusive=True, exit_on_error=False)

    def wake(self) -> None:
        """Poll now instead of at the end of the interval."""
        self._wake.set()

    async def run(self) -> None:
        """The only poll loop: the next poll starts after the last one was read and drawn."""
        while True:
            forced = self._wake.is_set()
            self._wake.clear()
            if self.host.wants_poll(forced):
                await self.poll_once()
            delay = self.host.refresh_interval()
            if not self.health.connected:
                failures = self.health.failures
                delay = RETRY_S[min(failures, len(RETRY_S)) - 1] if failures else 0.5
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

    async def poll_once(self) -> None:
        """One poll, posted to the App and drawn by it. Redis errors become the banner; any
        other error a notification; nothing escapes to Textual's traceback screen."""
        health = self.health
        pool = self.settings.pool
        try:
            request = self.host.view_request()
            started = time.perf_counter()
            result = await self.source.read(request)
            health.poll_ms = (time.perf_counter() - started) * 1000
        except (RedisError, OSError, LcnError) as exc:
            health.failures += 1
            health.last_error = one_line(exc)
            health.connected = False
            await self.close()
            self.host.post_message(self.Failed(health.last_error, redis=True))
            return
        except Exception as exc:  # a bug must not take the console down
            health.last_error = one_line(exc)
            self.host.post_message(self.Failed(health.last_error, redis=False))
            return
        if self.settings.pool != pool:  # the operator switched pool while this was read
            self.wake()
            return
        polled = self.Polled(result, recovered=not health.connected and health.reads > 0)
        health.connected = True
        health.failures = 0
        health.last_error = None
        health.last_ok_ms = result.now_ms
        health.reads += 1
        if self.host.post_message(polled):
            await polled.drawn.wait()


def starting_phrase(settings: Settings) -> str:
    """What connecting means for these settings: starting the embedded server, or reaching a
    configured one (named by host, never with its password)."""
    if not settings.redis_url:
        return f"Starting the embedded Redis (data in {settings.data_dir}) and connecting…"
    where = urlsplit(settings.redis_url)
    host = where.hostname or where.path or settings.redis_url.split("@")[-1]
    port = f":{where.port}" if where.port else ""
    return f"Connecting to Redis at {host}{port}…"


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
