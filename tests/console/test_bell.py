"""The terminal bell: once per poll that brings a new triage item worth paging for, never for
an item still there, not for what was there when the console opened, and not when silenced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from console.actions.pools import run_command
from core import registry
from core.store import Store
from tests.console.conftest import RecordingConsole, press
from tests.helpers import register_node

Make = Callable[..., RecordingConsole]


def count_bells(app: RecordingConsole) -> list[int]:
    rings: list[int] = []

    def bell() -> None:
        rings.append(1)

    app.bell = bell  # type: ignore[method-assign]  # Textual's bell, counted instead of heard
    return rings


async def test_rings_once_per_new_item_and_colon_bell_silences_it(
    make_console: Make, store: Store
) -> None:
    nodes = [(await register_node(store)).node_id for _ in range(3)]
    app = make_console()
    rings = count_bells(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.poll_once()
        assert rings == []
        assert await registry.sweep_silent(store, 0) == 3  # three nodes go silent at once
        await app.poll_once()
        assert len(rings) == 1  # one poll with news: one bell, not three
        for _ in range(3):  # still offline: no news
            await app.poll_once()
        assert len(rings) == 1
        await registry.heartbeat(store, nodes[0])
        await app.poll_once()  # one came back: nothing new
        assert len(rings) == 1
        await registry.sweep_silent(store, 0)  # and went again: news
        await app.poll_once()
        assert len(rings) == 2
        await run_command(app, "bell")
        assert app.said("Bell off")
        await registry.heartbeat(store, nodes[1])
        await app.poll_once()
        await registry.sweep_silent(store, 0)
        await app.poll_once()
        assert len(rings) == 2 and app.state.bell.noticed == 3  # seen, but silenced
        await press(pilot, app, "colon")
        await pilot.press(*"bell", "enter")
        await pilot.pause()
        assert app.said("Bell on")


async def test_what_is_there_at_start_does_not_ring(
    make_console: Make, store: Store, settings: Any
) -> None:
    await register_node(store)
    assert await registry.sweep_silent(store, 0) == 1
    app = make_console()
    rings = count_bells(app)
    async with app.run_test(size=(120, 36)):
        await app.poll_once()
        await app.poll_once()
        assert rings == [] and app.state.bell.seen


async def test_lcn_bell_off_silences_from_the_start(
    make_console: Make, store: Store, settings: Any
) -> None:
    app = make_console(settings=settings.model_copy(update={"bell": False}))
    rings = count_bells(app)
    await register_node(store)
    async with app.run_test(size=(120, 36)):
        await app.poll_once()
        await registry.sweep_silent(store, 0)
        await app.poll_once()
        assert rings == [] and app.state.bell.noticed == 1  # seen, but silenced
