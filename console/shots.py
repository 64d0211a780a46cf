"""Deterministic screenshots of the console: a seeded private pool, a fixed clock, a fixed
operator name and no timings, so the same code draws the same SVG every time. Used by
`lcn screenshots` (README's pictures) and by the snapshot tests."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot

from console.app import LcnConsole
from core.config import Settings
from core.devkit import seed
from core.store import connect

OPERATOR = "ops@lcn"
SIZES = ((80, 24), (160, 48))


@dataclass(frozen=True)
class Shot:
    """One screenshot: a name, the keys that lead to it, and whether it is per size."""

    name: str
    keys: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...] = SIZES


SHOTS = (
    Shot("dashboard", (), ((160, 48),)),
    Shot("nodes", ("1", "z")),
    Shot("jobs", ("2", "z")),
    Shot("earnings", ("3", "z")),
    Shot("swarm", ("4", "z")),
    Shot("triage", ("5",)),
    Shot("confirm-cancel", ("2", "down", "down", "c"), ((80, 24),)),
    Shot("job-detail", ("2", "down", "down", "enter"), ((160, 48),)),
    Shot("reassign", ("2", "down", "down", "r"), ((160, 48),)),
)


def screen_text(app: LcnConsole) -> str:
    """The screen as plain text (what the SVG shows, without styles): for snapshot tests that
    should not break when a colour changes."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


async def seeded_app(settings: Settings, now_ms: int = seed.FIXED_NOW_MS) -> LcnConsole:
    # The default theme, whatever this user chose: the pictures do not change with the machine.
    return LcnConsole(settings, clock=lambda: now_ms, show_timing=False, operator=OPERATOR,
                      refresh=30.0, theme="textual-dark")  # fmt: skip


async def settle(pilot: Pilot[None], app: LcnConsole) -> None:
    """Wait until the app has polled and drawn what the current keys asked for."""
    previous: tuple[int, ...] = ()
    for _ in range(6):
        if not app.is_running:
            return  # until the windows fit: a poll may change the layout the next fills
        polls = app.polls
        app.poll_now()
        for _ in range(100):
            await pilot.pause(0.02)
            if app.polls > polls:
                break
        await pilot.pause()
        windows = tuple(view.limit for view in app.state.tables.values())
        if windows == previous:
            break
        previous = windows
    await pilot.pause()


async def render_shots(
    settings: Settings,
    visit: Callable[[Shot, tuple[int, int], LcnConsole], Awaitable[None]],
    shots: tuple[Shot, ...] = SHOTS,
) -> None:
    """Seed `settings`' pool, drive the app to each shot at each size, call `visit`."""
    store = await connect(settings)
    try:
        await seed.drop_pool(store)
        await seed.seed(store)
        for shot in shots:
            for size in shot.sizes:
                app = await seeded_app(settings)
                async with app.run_test(size=size) as pilot:
                    await settle(pilot, app)
                    for key in shot.keys:
                        await pilot.press(key)
                        await settle(pilot, app)
                    await visit(shot, size, app)
                    await app.action_quit()
    finally:
        await seed.drop_pool(store)
        await store.close()


async def save_screenshots(settings: Settings, out_dir: Path) -> list[Path]:
    """`lcn screenshots`: write screenshots/<name>-<w>x<h>.svg on a throwaway pool."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private = settings.model_copy(update={"pool": "lcn-screenshots"})
    written: list[Path] = []

    async def save(shot: Shot, size: tuple[int, int], app: LcnConsole) -> None:
        path = out_dir / f"{shot.name}-{size[0]}x{size[1]}.svg"
        path.write_text(app.export_screenshot(title=f"lcn console — {shot.name}"))
        written.append(path)

    await render_shots(private, save)
    return written
