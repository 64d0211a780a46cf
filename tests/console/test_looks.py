"""Snapshot tests of the console's look: every pane at 80×24 and 160×48, plus the dashboard,
a confirmation and the detail screens, drawn from the deterministic seed with a fixed clock.

Each shot is compared as screen text (characters, not colours) with tests/console/snapshots/,
so a theme tweak does not break it but a layout change does; the SVG is checked to render.
Run with LCN_UPDATE_SNAPSHOTS=1 to accept a deliberate change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.app import LcnConsole
from console.shots import SHOTS, Shot, render_shots, screen_text
from core.config import Settings

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture
def pool() -> str:
    """The screens name their pool, which the comparison replaces with "pool": a per-test name
    such as `t6` was also replaced inside ids that happen to contain it (a flaky mismatch). This
    one cannot be part of anything else on screen (ids are base32, without `-`)."""
    return "z-"


async def test_every_shot_matches_its_snapshot(settings: Settings) -> None:
    update = os.environ.get("LCN_UPDATE_SNAPSHOTS") == "1"
    SNAPSHOTS.mkdir(exist_ok=True)
    problems: list[str] = []
    seen: list[str] = []

    async def compare(shot: Shot, size: tuple[int, int], app: LcnConsole) -> None:
        name = f"{shot.name}-{size[0]}x{size[1]}"
        seen.append(name)
        svg = app.export_screenshot(title=name)
        assert svg.startswith("<svg") and "rich-terminal" in svg
        # The pool name is per test; the snapshots say "pool".
        text = screen_text(app).replace(settings.pool, "pool".ljust(len(settings.pool)))
        path = SNAPSHOTS / f"{name}.txt"
        if update or not path.exists():
            path.write_text(text + "\n")
            return
        if path.read_text() != text + "\n":
            problems.append(name)

    await render_shots(settings, compare)
    assert len(seen) == sum(len(shot.sizes) for shot in SHOTS)
    assert not problems, f"screens differ from tests/console/snapshots: {problems}"
