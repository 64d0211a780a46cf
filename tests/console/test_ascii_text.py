"""On an ASCII terminal (LCN_ASCII=1) the console's own punctuation is ASCII too: no `…` in
shortened ids, no `·` between the parts of a title, no `–` in a window's range."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rich.text import Text

from console.glyphs import ASCII_PUNCTUATION, plain, plain_text
from console.shots import screen_text, settle
from core.devkit.seed import SeedSummary
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]


def test_plain_spells_the_punctuation_in_ascii_and_keeps_styles_in_place() -> None:
    assert plain("…abc · 1–20 of 37 · cost ↓", True) == "...abc - 1-20 of 37 - cost v"
    assert plain("…abc · x", False) == "…abc · x"
    text = Text("…ab", style="bold")
    text.append(" · ", style="dim")
    text.append("cd", style="red")
    shown = plain_text(text, True)
    assert shown.plain == "...ab - cd"
    assert str(shown.style) == "bold"
    assert [(s.start, s.end, str(s.style)) for s in shown.spans] == [(5, 8, "dim"), (8, 10, "red")]
    assert plain_text(text, False) is text
    unchanged = Text("no marks here", style="bold")
    assert plain_text(unchanged, True) is unchanged


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_an_ascii_console_draws_no_unicode_punctuation(
    make_console: Make, seeded: SeedSummary, size: tuple[int, int]
) -> None:
    app = make_console(ascii=True)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        screens = [screen_text(app)]
        for key in ("2", "3", "4", "5", "1"):
            await press(pilot, app, key)
            screens.append(screen_text(app))
    assert_no_unicode_punctuation(screens)
    # Nothing else either: borders, bars, the map, Textual's own scrollbars and footer mark.
    assert all(text.isascii() for text in screens), [
        sorted({c for c in text if not c.isascii()}) for text in screens
    ]


async def test_an_ascii_consoles_toasts_are_ascii(make_console: Make, seeded: SeedSummary) -> None:
    app = make_console(ascii=True)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot, app)
        for _ in range(2):
            app.notify("Space plays, ←/→ step.", title="Replay")
        await pilot.pause()
        await pilot.pause()
        toast = screen_text(app).splitlines()[-2]
    assert "Replay: Space plays, </> step. x2" in toast and toast.isascii()


def assert_no_unicode_punctuation(screens: list[str]) -> None:
    for text in screens:
        found = sorted({mark for mark in ASCII_PUNCTUATION if mark in text})
        assert not found, f"{found} drawn in ASCII mode:\n{text}"


async def test_ascii_detail_and_help_screens_draw_no_unicode_punctuation(
    make_console: Make, seeded: SeedSummary
) -> None:
    """A job's and a node's detail (times as `12s ago - 14:03:07`, prices per cpu-s) and the
    help screen."""
    app = make_console(ascii=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        screens = []
        for keys in (("2", "enter"), ("escape", "1", "enter"), ("escape", "question_mark")):
            await press(pilot, app, *keys)
            screens.append(screen_text(app))
    assert "ago - " in screens[0] and "/cpu-s" in screens[1] and "commands" in screens[2]
    assert_no_unicode_punctuation(screens)


async def test_a_unicode_console_keeps_its_punctuation(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console(ascii=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        assert "·" in screen_text(app)
