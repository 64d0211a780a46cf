"""The theme picked in the command palette is remembered (console.prefs): saved 0600 under the
data dir, restored by the next run; `--theme` overrides it for one run without changing it,
and an unknown theme is refused in one sentence that lists them."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable

from console import prefs
from console.shots import settle
from core.config import Settings
from tests.console.conftest import RecordingConsole

Make = Callable[..., RecordingConsole]


async def run_and_pick(app: RecordingConsole, theme: str | None = None) -> str:
    """Run the app; pick `theme` the way the palette's "Change theme" does; its theme at start."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        started = app.theme
        if theme:
            app.theme = theme
            await pilot.pause()
            await pilot.pause()
    return started


async def test_the_theme_is_remembered_across_runs_and_overridden(
    make_console: Make, settings: Settings
) -> None:
    path = prefs.prefs_path(settings.data_dir)
    assert await run_and_pick(make_console(), "nord") == "textual-dark"  # nothing saved yet
    assert json.loads(path.read_text()) == {"theme": "nord"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert await run_and_pick(make_console()) == "nord"  # the second run restores it
    assert await run_and_pick(make_console(theme="dracula")) == "dracula"  # --theme
    assert json.loads(path.read_text()) == {"theme": "nord"}  # an override is not a choice
    assert await run_and_pick(make_console(theme="dracula"), "gruvbox") == "dracula"
    assert await run_and_pick(make_console()) == "gruvbox"  # a pick during an override is


async def test_an_unreadable_or_unknown_saved_theme_is_ignored(
    make_console: Make, settings: Settings
) -> None:
    path = prefs.prefs_path(settings.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json")
    assert await run_and_pick(make_console()) == "textual-dark"
    path.write_text(json.dumps({"theme": "[bold]gone", "other": 1}))
    assert await run_and_pick(make_console(), "monokai") == "textual-dark"
    assert json.loads(path.read_text()) == {"theme": "monokai", "other": 1}  # others kept


def test_console_theme_option_refuses_an_unknown_theme(lcn) -> None:  # type: ignore[no-untyped-def]
    result = lcn("console", "--theme", "neon", ok=False)
    assert result.exit_code == 2
    assert "Unknown theme 'neon'; use one of ansi-dark, " in result.output
    assert "textual-dark" in result.output and len(result.output.strip().splitlines()) == 1
