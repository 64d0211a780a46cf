"""The console in any terminal (issue 14): the status line at 80 columns, states told apart by
glyph in 16 colours and with NO_COLOR, the ASCII map, one coalesced toast, help that fits
80×24, the startup banner, and the confirmations of `u` and `R`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rich.color import ColorSystem
from textual.widgets import Footer, Input

from console import format, glyphs
from console.poller import starting_phrase
from console.screens.charts import ChartsScreen
from console.screens.confirm import ConfirmScreen
from console.screens.help import HelpScreen
from console.screens.prompt import PromptScreen
from console.shots import screen_text, settle
from console.widgets.spark import ascii_bars
from console.widgets.status_line import Part, fit
from core import events, registry
from core.config import Settings
from core.devkit.seed import SeedSummary
from core.store import Store
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]
BRAILLE = re.compile("[\u2800-\u28ff]")
UNICODE_STATES = "●◐◌✕○◔✓⊘"


def state_column(app: RecordingConsole, pane: str) -> list[str]:
    table = app.pane(pane).table
    return [str(table.get_cell_at((row, 2))) for row in range(table.row_count)]


# ── the status line ─────────────────────────────────────────────────────────────────────────


def test_a_narrow_status_line_keeps_connection_triage_and_pool_in_order() -> None:
    parts = [
        Part("● live ", "ok", 0), Part("every 1s ", "", 8), Part("│ nodes 36 ", "", 5),
        Part("│ run 1 ", "", 4), Part("│ agents 60 ", "", 7), Part("│ triage 22 ", "down", 1),
        Part("│ demo-pool ", "pane", 2), Part("│ ops@lcn", "dim", 9),
    ]  # fmt: skip
    for width, kept in [
        (200, [p.text for p in parts]),
        (40, ["● live ", "│ run 1 ", "│ triage 22 ", "│ demo-pool "]),
        (31, ["● live ", "│ triage 22 ", "│ demo-pool "]),
        (20, ["● live ", "│ triage 22 "]),
        (3, ["● live "]),
    ]:
        assert [p.text for p in fit(parts, width)] == kept, width


async def test_the_status_line_at_80x24_has_connection_triage_and_pool(
    make_console: Make, seeded: SeedSummary, settings: Settings
) -> None:
    app = make_console(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "p")
        line = screen_text(app).splitlines()[0]
        assert len(line) <= 80
        assert line.index("live") < line.index("triage 26") < line.index(settings.pool)
        assert "PAUSED" in line and "READ-ONLY" in line  # safety before counts
        assert "tester@lcn" not in line  # the operator went first
    wide = make_console()
    async with wide.run_test(size=(200, 50)) as pilot:
        await settle(pilot, wide)
        line = screen_text(wide).splitlines()[0]
        for part in ("live", "every 30s", "nodes 36", "agents", "triage 26", "tester@lcn"):
            assert part in line


# ── glyphs, 16 colours, NO_COLOR, ASCII ────────────────────────────────────────────────────


def test_each_state_of_a_kind_has_its_own_glyph_in_both_sets() -> None:
    kinds = {
        "nodes": ("active", "busy", "draining", "offline"),
        "jobs": ("pending", "assigned", "running", "completed", "failed", "cancelled"),
        "agents": ("idle", "working", "stalled", "stopped"),
    }
    for states in kinds.values():
        for plain in (False, True):
            marks = [glyphs.glyph(s, plain) for s in states]
            assert all(marks) and len(set(marks)) == len(marks), (states, plain, marks)
            assert not plain or all(m.isascii() for m in marks)
    # One shape, one meaning across kinds.
    assert glyphs.glyph("busy") == glyphs.glyph("running") == glyphs.glyph("working")
    assert glyphs.glyph("offline") == glyphs.glyph("failed")


def test_ascii_is_chosen_by_lcn_ascii_or_a_locale_that_is_not_utf8() -> None:
    assert glyphs.wants_ascii({"LCN_ASCII": "1", "LANG": "en_US.UTF-8"})
    assert not glyphs.wants_ascii({"LCN_ASCII": "0", "LANG": "C"})
    assert not glyphs.wants_ascii({"LANG": "en_US.UTF-8"})
    assert not glyphs.wants_ascii({"LC_ALL": "C.utf8", "LANG": "C"})
    assert glyphs.wants_ascii({"LC_ALL": "de_DE.ISO-8859-1", "LANG": "en_US.UTF-8"})
    assert glyphs.wants_ascii({"LANG": "C"})
    assert glyphs.wants_ascii({})
    assert glyphs.wants_ascii({"LANG": "en_US.UTF-8", "TERM": "linux"})


async def test_in_16_colours_busy_offline_and_the_focused_border_differ(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console(colours="16")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        assert app.theme == "lcn-16"
        table = app.pane("nodes").table

        def sixteen(color: Any) -> int | None:
            return color.downgrade(ColorSystem.STANDARD).number if color else None

        busy = sixteen(table.state_text("busy").style.color)  # type: ignore[union-attr]
        offline = sixteen(table.state_text("offline").style.color)  # type: ignore[union-attr]
        draining = sixteen(table.state_text("draining").style.color)  # type: ignore[union-attr]
        active = sixteen(table.state_text("active").style.color)  # type: ignore[union-attr]
        border = sixteen(app.pane("nodes").styles.border_top[1].rich_color)
        assert len({busy, offline, border, draining, active}) == 5
        shown = state_column(app, "nodes")
        assert {"● active", "◌ draining", "✕ offline"} <= set(shown)


async def test_with_no_color_states_differ_by_glyph(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console(colours="none")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        assert app.no_color
        text = screen_text(app)
        assert "● active  ◐ busy  ◌ draining  ✕ offline" in text  # the map's legend
        assert {"● active", "◌ draining", "✕ offline"} <= set(state_column(app, "nodes"))
        await press(pilot, app, "2")
        jobs = set(state_column(app, "jobs"))
        assert {"○ pending", "◐ running", "✓ completed", "✕ failed"} <= jobs
        await press(pilot, app, "4")
        assert {"● idle", "◐ working"} <= set(state_column(app, "swarm"))


async def test_the_ascii_map_and_glyphs(make_console: Make, seeded: SeedSummary) -> None:
    app = make_console(ascii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        text = screen_text(app)
        map_lines = text.splitlines()[2:11]
        assert not BRAILLE.search(text)
        assert not any(mark in text for mark in UNICODE_STATES)
        assert sum(line.count(":") for line in map_lines) > 50  # land is drawn
        assert "+ active  * busy  ~ draining  x offline" in text
        assert {"+ active", "~ draining", "x offline"} <= set(state_column(app, "nodes"))
        assert text.splitlines()[0].lstrip().startswith("+ live")


BOX_AND_BLOCKS = re.compile("[\u2500-\u259f]")  # box drawing and block elements


async def test_ascii_borders_sparklines_bars_and_charts(
    make_console: Make, seeded: SeedSummary
) -> None:
    """With the ASCII glyph set no pane, dialog, sparkline, load bar or chart draws a
    box-drawing or block character (the footer's own separator aside)."""
    app = make_console(ascii=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        for keys in (("1", "z"), ("z", "4", "z"), ("z", "3", "z"), ("m",), ("escape", "?")):
            await press(pilot, app, *keys)
            lines = screen_text(app).splitlines()[:-1]  # the footer is Textual's
            drawn = [line for line in lines if BOX_AND_BLOCKS.search(line)]
            assert not drawn, (keys, drawn)
            if not isinstance(app.screen, (HelpScreen, ChartsScreen)):
                assert lines[1].startswith("+-")  # the pane's border
        assert "+-" in screen_text(app)  # the help dialog's border
    plain = make_console(ascii=False)
    async with plain.run_test(size=(80, 24)) as pilot:
        await settle(pilot, plain)
        await press(pilot, plain, "4", "z")
        assert screen_text(plain).splitlines()[1].startswith("╭")


def test_ascii_sparklines_and_bars_keep_their_steps() -> None:
    assert format.sparkline([0, 1, 4, 8], 4, ascii_only=True) == " _:#"
    assert format.sparkline([0, 0], 2, ascii_only=True) == "__"
    assert format.load_bar(0.5, 4, ascii_only=True) == "##.."
    assert format.load_bar(0.6, 4, ascii_only=True) == "##=."
    assert format.load_bar(0.6, 4) == "██▃·"
    assert ascii_bars([0.0, 5.0, 10.0], 3, 2) == "  #\n_##"
    assert ascii_bars([0.0, 2.5, 10.0], 3, 2) == "  #\n_:#"
    assert ascii_bars([], 4, 2) == "    \n____"


# ── the jobs table at 80 columns ────────────────────────────────────────────────────────────


async def test_at_80_columns_the_jobs_cost_is_whole_with_long_ages(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "z", "s", "s")  # by cost: the dearest, ages up to an hour
        text = screen_text(app)
        table = app.pane("jobs").table
        assert "agent" not in table.column_keys and "sorted by cost" in text
        rows = [line for line in text.splitlines() if "…" in line and "/3" in line]
        assert rows and all(re.search(r"~?\$\d+\.\d\d\s*│$", line) for line in rows), rows
        assert any(re.search(r"\d+m\d\ds", line) for line in rows)  # long ages shown too
        await press(pilot, app, "z")  # the selection is a key: kept through the new columns
        selected = table.selection
        await pilot.resize_terminal(160, 48)
        await press(pilot, app, "2", "z")
        assert "agent" in app.pane("jobs").table.column_keys
        assert app.pane("jobs").table.selection == selected


# ── toasts ──────────────────────────────────────────────────────────────────────────────────


async def test_one_toast_at_a_time_with_repeats_counted(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        for _ in range(3):
            app.notify("Job …abc is cancelled.", title="Cancel")
        await pilot.pause()
        await pilot.pause()
        toasts = list(app.query("Toast"))
        assert len(toasts) == 1
        assert "Cancel: Job …abc is cancelled. ×3" in screen_text(app)
        app.notify("Poll failed: [bold]x[/", severity="error")  # a new one replaces it, literally
        await pilot.pause()
        toasts = list(app.query("Toast"))
        assert len(toasts) == 1 and "Poll failed: [bold]x[/" in screen_text(app)
        assert "×" not in screen_text(app).splitlines()[-2]
        # One line, on the pane's bottom border: not over a table row nor the footer.
        toast, table, footer = (
            toasts[0].region,
            app.pane("jobs").table.region,
            app.query_one(Footer).region,
        )
        assert toast.height == 1
        assert not toast.overlaps(table) and not toast.overlaps(footer)
        await press(pilot, app, "c")  # a dialog: a toast stays off it too
        assert isinstance(app.screen, ConfirmScreen)
        app.notify("Something happened.")
        await pilot.pause()
        dialog = app.screen.query_one("#confirm-box").region
        shown = list(app.screen.query("Toast"))
        assert len(shown) == 1 and not shown[0].region.overlaps(dialog)


# ── help ────────────────────────────────────────────────────────────────────────────────────


async def test_help_fits_80x24_and_says_how_to_close(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("#help-box")
        close = app.screen.query_one("#help-close")
        assert box.region.bottom <= 24 and box.max_scroll_y == 0
        assert close.region.bottom <= box.region.bottom and close.region.height == 1
        text = screen_text(app)
        assert "Esc, q or ? closes this help." in text
        for title in ("Reassign", "Cancel", "Drain", "Undrain", "Retry payout", "Quit"):
            assert title in text
        # Each screen's own keys, under its name (console.commands: `screen`).
        assert "Dashboard (and every screen)" in text
        assert re.search(r"Job detail\s+f Follow\s+i Input", text)
        assert re.search(r"Job or node detail\s+esc Back", text)
        for key in ("escape", "question_mark", "q"):
            await press(pilot, app, key)
            assert not isinstance(app.screen, HelpScreen)
            await press(pilot, app, "question_mark")
        assert isinstance(app.screen, HelpScreen)
    # Read-only adds its reason and still fits.
    reader = make_console(read_only=True)
    async with reader.run_test(size=(80, 24)) as pilot:
        await settle(pilot, reader)
        await press(pilot, reader, "question_mark")
        box = reader.screen.query_one("#help-box")
        assert box.region.bottom <= 24 and box.max_scroll_y == 0
        assert "Read-only:" in screen_text(reader) and "f Follow" in screen_text(reader)


# ── startup ─────────────────────────────────────────────────────────────────────────────────


class GatedConsole(RecordingConsole):
    """A console whose first poll waits until the test lets it."""

    gate = True

    def wants_poll(self, forced: bool) -> bool:
        return not self.gate and super().wants_poll(forced)


async def test_startup_says_what_it_is_doing_before_the_first_snapshot(
    settings: Settings, seeded: SeedSummary
) -> None:
    app = GatedConsole(settings, operator="tester@lcn", show_timing=False, refresh=30.0)
    app.state.ascii = False
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert app.snapshot is None
        assert "Connecting to Redis at 127.0.0.1" in text and "connecting" in text
        app.gate = False
        await settle(pilot, app)
        text = screen_text(app)
        assert app.snapshot is not None and "Connecting to Redis" not in text and "live" in text
    embedded = settings.model_copy(update={"redis_url": None})
    assert starting_phrase(embedded).startswith("Starting the embedded Redis")
    assert "secret" not in starting_phrase(
        settings.model_copy(update={"redis_url": "redis://user:secret@db.example:6380/0"})
    )


# ── confirmations that name the target and its state ────────────────────────────────────────


async def test_retry_payout_asks_naming_the_payout_its_state_and_amount(
    make_console: Make, seeded: SeedSummary, store: Store, settings: Settings
) -> None:
    from core.devkit.demo_money import start_demo_money
    from core.money import format_usd
    from core.payments import records

    money = await start_demo_money(store, settings)
    try:
        balances = await store.redis.hmget(
            store.keys.balances, *[f"node:{n}" for n in seeded.nodes]
        )
        earned = {n: int(v or 0) for n, v in zip(seeded.nodes, balances, strict=True)}
        node_id = max(earned, key=lambda n: earned[n])
        await money.onboard([node_id])
        app = make_console(settings=money.settings)
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot, app)
            await press(pilot, app, "3", "z")
            assert app.pane("earnings").table.select(node_id)
            await press(pilot, app, "dollar_sign", "y")
            await settle(pilot, app)
            await money.stand_in.flush()
            found = await records.list_payouts(store, node_id=node_id)
            assert found, app.notes
            payout = found[0]
            await press(pilot, app, "R")
            assert isinstance(app.screen, PromptScreen)
            app.screen.query_one(Input).value = payout.payout_id
            await press(pilot, app, "enter")
            assert isinstance(app.screen, ConfirmScreen)
            question = app.screen.question
            assert payout.payout_id in question and f"({payout.status})" in question
            assert format_usd(payout.amount_micro_usd) in question and node_id[-10:] in question
            await press(pilot, app, "n")
            assert not isinstance(app.screen, ConfirmScreen)
        audit = await events.recent_audit(store, 5)
        assert not any(entry["action"] == "payout.retry" for entry in audit)
    finally:
        await money.close()


async def test_undrain_asks_naming_the_node_and_its_state(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        node_id = next(
            r.node_id
            for r in (app.snapshot.nodes.rows if app.snapshot and app.snapshot.nodes else [])
            if r.status == "draining"
        )
        assert app.pane("nodes").table.select(node_id)
        await press(pilot, app, "u")
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Undrain node {node_id[-10:]}" in app.screen.question.replace("…", "")
        assert "(draining," in app.screen.question
        await press(pilot, app, "n")
    assert (await registry.get_node(store, node_id)).status == "draining"


async def test_draining_is_readable_in_256_colours(make_console: Make, seeded: SeedSummary) -> None:
    """Draining was dark blue on black in 256 colours: now at least 4.5:1 against the pane."""
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.pane("nodes").table
        colour = table.state_text("draining").style.color  # type: ignore[union-attr]
        background = table.rich_style.bgcolor
        assert colour is not None and background is not None

        def luminance(c: Any) -> float:
            def channel(v: int) -> float:
                x = v / 255
                return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

            r, g, b = c.downgrade(ColorSystem.EIGHT_BIT).get_truecolor()
            return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

        bright, dark = sorted((luminance(colour), luminance(background)), reverse=True)
        assert (bright + 0.05) / (dark + 0.05) >= 4.5
