"""`lcn console --replay`: the console, replaying from its first poll."""

from __future__ import annotations

import asyncio

from console.app import LcnConsole
from console.replay import control
from console.replay.source import ReplayFailed, ReplaySource
from core.access.roles import Operator
from core.config import Settings


async def recorded(settings: Settings, since: int, until: int | None) -> int:
    """How many recordings of the pool the range holds; ReplayFailed says why there are none
    (or why the archive cannot be read)."""
    source = ReplaySource(settings, since=since, until=until)
    try:
        return (await source.load()).total
    finally:
        await source.close()


def check_range(settings: Settings, since: int, until: int | None) -> str | None:
    """None when the range holds recordings, else the one sentence that says why not."""
    try:
        asyncio.run(recorded(settings, since, until))
    except ReplayFailed as exc:
        return str(exc)
    return None


def run_replay(
    settings: Settings,
    since: int,
    until: int | None,
    *,
    read_only: bool = False,  # still read-only after `:live`
    refresh: float = 1.0,
    operator: Operator | None = None,
    theme: str | None = None,
) -> None:
    app = LcnConsole(settings, read_only=read_only, refresh=refresh, operator=operator, theme=theme)
    control.attach(app, ReplaySource(settings, since=since, until=until))
    app.run()
