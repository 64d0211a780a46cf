"""Fixtures for the console: a seeded pool, and a console that records its notifications."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from console.app import LcnConsole
from console.shots import settle, terminal
from core.config import Settings
from core.devkit import seed
from core.store import Store


class RecordingConsole(LcnConsole):
    """The console, with every notification kept for the test to read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append((str(message), str(kwargs.get("severity", "information"))))
        super().notify(message, *args, **kwargs)

    def said(self, text: str) -> bool:
        return any(text in message for message, _ in self.notes)


@pytest.fixture
async def seeded(store: Store) -> AsyncIterator[seed.SeedSummary]:
    yield await seed.seed(store)


@pytest.fixture
def make_console(settings: Settings) -> Callable[..., RecordingConsole]:
    def make(**kwargs: Any) -> RecordingConsole:
        kwargs.setdefault("clock", lambda: seed.FIXED_NOW_MS)
        kwargs.setdefault("show_timing", False)
        kwargs.setdefault("operator", "tester@lcn")
        kwargs.setdefault("refresh", 30.0)
        colours = kwargs.pop("colours", "truecolor")
        ascii_only = kwargs.pop("ascii", False)
        with terminal(colours):  # not the terminal the tests run in
            app = RecordingConsole(kwargs.pop("settings", settings), **kwargs)
        app.state.ascii = ascii_only
        return app

    return make


async def press(pilot: Pilot[None], app: LcnConsole, *keys: str) -> None:
    """Press keys, then wait for the poll they trigger to be drawn."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause()
    await settle(pilot, app)
