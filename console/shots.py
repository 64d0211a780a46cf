"""Deterministic screenshots of the console: a seeded private pool, a fixed clock, a fixed
operator name and no timings, so the same code draws the same SVG every time. Used by
`lcn screenshots` (README's pictures) and by the snapshot tests."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import TerminalTheme
from textual import constants
from textual.pilot import Pilot

from console import palette, prefs
from console.app import LcnConsole
from console.replay import control as replay
from console.replay.source import ReplaySource
from core.access import Actor, Role
from core.config import Settings
from core.devkit import seed
from core.store import Store, connect
from core.swarm.recorder import RecorderDuty

OPERATOR = "ops@lcn"
SIZES = ((80, 24), (160, 48))


Colours = Literal["truecolor", "16", "none"]
COLOR_SYSTEMS: dict[str, str] = {"truecolor": "truecolor", "16": "standard", "none": "truecolor"}


@dataclass(frozen=True)
class Shot:
    """One screenshot: a name, the keys that lead to it, whether it is per size, and the
    terminal it is taken in (colours: true colour, 16, or NO_COLOR; ASCII glyphs or not)."""

    name: str
    keys: tuple[str, ...]
    sizes: tuple[tuple[int, int], ...] = SIZES
    colours: Colours = "truecolor"
    ascii: bool = False
    viewer: str = ""  # as `lcn serve ssh` shows it to this SSH key with the viewer role
    replay: bool = False  # replaying REPLAYED, recorded from the seeded pool (console.replay)


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
    Shot("help", ("question_mark",), ((80, 24),)),
    Shot("nodes-16-colours", ("1", "z"), ((80, 24),), colours="16"),
    Shot("nodes-no-color", ("1", "z"), ((80, 24),), colours="none"),
    Shot("nodes-ascii", ("1", "z"), ((80, 24),), ascii=True),
    Shot("jobs-by-cost", ("2", "z", "s", "s"), ((80, 24),)),
    Shot("nodes-search", ("1", "z", "slash", "e", "u", "enter"), ((80, 24),)),
    Shot("charts", ("m",)),
    Shot("ssh-viewer", ("1", "z", "d"), viewer="vera"),
    Shot("replay", ("full_stop",), replay=True),
)
# The moments the replay shot's recording holds (the seeded pool, recorded 5 s apart).
REPLAYED = tuple(seed.FIXED_NOW_MS + n * 5_000 for n in range(3))


@contextmanager
def terminal(colours: Colours) -> Iterator[None]:
    """Make the Apps created inside it see this terminal: Textual reads NO_COLOR and its colour
    system (TEXTUAL_COLOR_SYSTEM, else TERM/COLORTERM) when an App is made, so the
    environment around `lcn screenshots` or a test does not decide how a shot looks."""
    saved_no_color = os.environ.pop("NO_COLOR", None)
    saved_system = constants.COLOR_SYSTEM
    if colours == "none":
        os.environ["NO_COLOR"] = "1"
    setattr(constants, "COLOR_SYSTEM", COLOR_SYSTEMS[colours])  # noqa: B010 (a Final)
    try:
        yield
    finally:
        os.environ.pop("NO_COLOR", None)
        if saved_no_color is not None:
            os.environ["NO_COLOR"] = saved_no_color
        setattr(constants, "COLOR_SYSTEM", saved_system)  # noqa: B010


def export_svg(app: LcnConsole, title: str, colours: Colours = "truecolor") -> str:
    """The screen as SVG. In 16 colours every colour is first rounded to the 16 standard ones,
    as the terminal would (Textual's own export always draws in true colour)."""
    if colours != "16":
        return app.export_screenshot(title=title)
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False,
                      safe_box=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True))
    buffer = console._record_buffer
    buffer[:] = [_sixteen(segment) for segment in buffer]
    return console.export_svg(title=title, theme=VGA)


# The 16 colours as a VGA text console draws them (Rich's SVG theme has dim "bright" ones).
VGA = TerminalTheme(
    (0, 0, 0),
    (170, 170, 170),
    [(0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170),
     (0, 170, 170), (170, 170, 170)],
    [(85, 85, 85), (255, 85, 85), (85, 255, 85), (255, 255, 85), (85, 85, 255), (255, 85, 255),
     (85, 255, 255), (255, 255, 255)],
)  # fmt: skip


def _sixteen(segment: Segment) -> Segment:
    style = segment.style
    if style is None or segment.control:
        return segment
    color = style.color.downgrade(ColorSystem.STANDARD) if style.color else None
    bgcolor = style.bgcolor.downgrade(ColorSystem.STANDARD) if style.bgcolor else None
    return Segment(segment.text, style + Style.from_color(color, bgcolor), segment.control)


def screen_text(app: LcnConsole) -> str:
    """The screen as plain text (what the SVG shows, without styles): for snapshot tests that
    should not break when a colour changes."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


async def seeded_app(
    settings: Settings,
    now_ms: int = seed.FIXED_NOW_MS,
    shot: Shot | None = None,
    archived: Settings | None = None,
) -> LcnConsole:
    # The default theme of the shot's colours, whatever this user chose in the palette: the
    # pictures do not change with the machine.
    theme = palette.LCN_16.name if shot and shot.colours == "16" else prefs.DEFAULT_THEME
    with terminal(shot.colours if shot else "truecolor"):
        operator = Actor(shot.viewer, Role.VIEWER, "SHA256:-") if shot and shot.viewer else None
        app = LcnConsole(settings, clock=lambda: now_ms, show_timing=False,
                         operator=operator or OPERATOR, refresh=30.0, theme=theme)  # fmt: skip
    app.state.ascii = shot.ascii if shot else False  # not the locale of whoever runs it
    if shot and shot.replay and archived is not None:
        replay.attach(app, ReplaySource(archived))
    return app


async def record_replayed(store: Store, archived: Settings) -> None:
    """The replay shot's recording, made by the real recorder into `archived`'s archive."""
    duty = RecorderDuty(archived)
    try:
        for at in REPLAYED:
            await duty.run(store, now_ms=at)
    finally:
        await duty.close()


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
    """Seed `settings`' pool, drive the app to each shot at each size, call `visit`. A replay
    shot's recording goes to a throwaway archive."""
    store = await connect(settings)
    scratch = tempfile.TemporaryDirectory(prefix="lcn-shots-")
    archived = settings.model_copy(
        update={"archive_url": f"sqlite:///{Path(scratch.name) / 'archive.sqlite3'}"}
    )
    try:
        await seed.drop_pool(store)
        await seed.seed(store)
        if any(shot.replay for shot in shots):
            await record_replayed(store, archived)
        for shot in shots:
            for size in shot.sizes:
                app = await seeded_app(settings, shot=shot, archived=archived)
                # The viewer's shot shows its refusal's toast (run_test hides toasts otherwise).
                async with app.run_test(size=size, notifications=bool(shot.viewer)) as pilot:
                    await settle(pilot, app)
                    for key in shot.keys:
                        await pilot.press(key)
                        await settle(pilot, app)
                    await visit(shot, size, app)
                    await app.action_quit()
    finally:
        await seed.drop_pool(store)
        await store.close()
        scratch.cleanup()


async def save_screenshots(settings: Settings, out_dir: Path) -> list[Path]:
    """`lcn screenshots`: write screenshots/<name>-<w>x<h>.svg on a throwaway pool."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private = settings.model_copy(update={"pool": "lcn-screenshots"})
    written: list[Path] = []

    async def save(shot: Shot, size: tuple[int, int], app: LcnConsole) -> None:
        path = out_dir / f"{shot.name}-{size[0]}x{size[1]}.svg"
        path.write_text(export_svg(app, f"lcn console — {shot.name}", shot.colours))
        written.append(path)

    await render_shots(private, save)
    return written
