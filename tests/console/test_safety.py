"""The console's safety under Textual's Pilot, on the real test Redis: text from data is shown
literally everywhere (a submitter cannot draw, hide or crash anything with Rich markup), the
selection is a key that holds through refreshes while rows arrive and refuses actions once
its row has left the view, confirmations name the target's current state (and the amount,
for money), and a paused console is paused everywhere."""

from __future__ import annotations

from collections.abc import Callable

from rich.syntax import Syntax
from textual.widgets import Input, Static

from console.screens.confirm import ConfirmScreen
from console.screens.detail import JobDetailScreen
from console.shots import screen_text, settle
from core import jobs
from core.devkit.seed import SeedSummary
from core.money import format_usd
from core.store import Store
from tests.console.conftest import RecordingConsole, press
from tests.helpers import register_node
from tests.jobfactory import job_body

Make = Callable[..., RecordingConsole]

UNMATCHED = "[/bold]"  # Rich raises MarkupError on this: it used to blank the console
REVERSED = "[reverse]x[/reverse]"  # used to be drawn reversed, tags gone
INDEXED = "a[i]"  # used to vanish: [i] is italic
LINK = "[link=https://evil.example]click[/link]"
CODE = f'const v = {INDEXED}; // {UNMATCHED} {REVERSED} {LINK}\nconsole.log("{UNMATCHED}");'
ERROR = f"TypeError: {INDEXED} is undefined {UNMATCHED} {REVERSED}"
AGENT = "agent[/bold]"


async def markup_job(store: Store) -> str:
    """A job whose code, input, agent, logs and error all carry markup; it ends failed."""
    node = await register_node(store)
    body = job_body(code=CODE, input={"text": f"{REVERSED} {UNMATCHED}", "k": [INDEXED]})
    job_id = (await jobs.submit(store, body, max_attempts=1)).job_id
    claim = await jobs.claim(store, node.node_id, AGENT, ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    logs = [f"log {INDEXED}", f"{UNMATCHED} unbalanced", f"{REVERSED} {LINK}"]
    await jobs.fail(store, job_id, claim.token, error=ERROR, logs=logs)
    assert (await jobs.get_job(store, job_id)).status == "failed"
    return job_id


def flat(text: str) -> str:
    """Screen text with line breaks and borders gone, for text a pane may wrap."""
    return " ".join(text.replace("│", " ").split())


async def test_text_with_markup_is_shown_literally_everywhere(
    make_console: Make, store: Store
) -> None:
    job_id = await markup_job(store)
    app = make_console()
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "z")
        assert AGENT in screen_text(app)  # the jobs table's agent column
        await press(pilot, app, "enter")
        assert isinstance(app.screen, JobDetailScreen) and app.screen.record_id == job_id
        await settle(pilot, app)
        text = screen_text(app)
        for shown in (INDEXED, UNMATCHED, REVERSED, LINK, ERROR, AGENT):
            assert shown in text, shown
        code = app.screen.query_one("#detail-code", Static).content
        given = app.screen.query_one("#detail-input", Static).content
        logs = str(app.screen.query_one("#detail-logs", Static).content)
        assert isinstance(code, Syntax) and code.code == CODE  # highlighted, never markup
        assert isinstance(given, Syntax) and f"{REVERSED} {UNMATCHED}" in given.code
        assert INDEXED in given.code
        assert f"{UNMATCHED} unbalanced" in logs and LINK in logs
        await press(pilot, app, "escape", "5")
        assert "failed job" in screen_text(app)
        assert INDEXED in flat(screen_text(app))  # the triage detail: the job's error

        # Toasts: what the operator typed, echoed back in a refusal.
        await press(pilot, app, "2", "slash")
        app.screen.query_one(Input).value = f"state:{UNMATCHED}"
        await press(pilot, app, "enter")
        assert f"Unknown state '{UNMATCHED}'" in flat(screen_text(app))
        await press(pilot, app, "g")
        app.screen.query_one(Input).value = REVERSED
        await press(pilot, app, "enter")
        assert f"No job or node {REVERSED}" in flat(screen_text(app))

        # Border titles: a filter the operator typed (a node "id" that passes the check).
        await press(pilot, app, "slash")
        node_filter = "b" + "x" * 20 + UNMATCHED
        app.screen.query_one(Input).value = f"node:{node_filter}"
        await press(pilot, app, "enter")
        assert f"node:…{node_filter[-8:]}" in screen_text(app)

        # Dialogs: the question and detail are literal too.
        app.push_screen(ConfirmScreen(f"Refund purchase {UNMATCHED} {INDEXED}?", REVERSED))
        await pilot.pause()
        assert f"Refund purchase {UNMATCHED} {INDEXED}?" in screen_text(app)
        assert REVERSED in screen_text(app)
        await press(pilot, app, "n")
        assert app.is_running
        assert not [m for m, _ in app.notes if m.startswith(("Drawing failed", "Poll failed"))]


async def test_the_selection_holds_through_50_refreshes_while_rows_arrive(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        table = app.pane("jobs").table
        keys = [str(row.key.value) for row in table.ordered_rows]
        chosen = keys[2]
        await press(pilot, app, "down", "down")  # the operator's own keys choose the row
        assert table.selected_key == chosen and table.cursor_row == 2
        arrived = 0
        for refresh in range(50):
            if refresh % 5 == 0:  # a new (newest) job every fifth refresh: 10 in all
                await jobs.submit(store, job_body(), max_attempts=1)
                arrived += 1
            await settle(pilot, app)
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            assert row_key.value == chosen and table.selected_key == chosen, refresh
            assert table.cursor_row == 2 + arrived
        assert app.polls >= 50
        # More rows push it off the page: the selection says so and actions refuse.
        for _ in range(table.row_count):
            await jobs.submit(store, job_body(), max_attempts=1)
        await settle(pilot, app)
        assert table.lost == chosen and table.selected_key is None
        assert f"selected …{chosen[-10:]} not in view" in screen_text(app)
        for key in ("c", "t", "r", "enter"):
            await press(pilot, app, key)
            assert not isinstance(app.screen, ConfirmScreen | JobDetailScreen)
        refusals = [m for m, _ in app.notes if "has left this view" in m]
        assert len(refusals) == 4 and f"…{chosen[-10:]}" in refusals[0]
        # The operator picks a row again: actions work on it.
        await press(pilot, app, "up")
        picked = table.selected_key
        assert picked is not None and table.lost is None
        await press(pilot, app, "c")
        assert isinstance(app.screen, ConfirmScreen)
        status = (await jobs.get_job(store, picked)).status
        assert f"Cancel job …{picked[-10:]}, now {status}" in flat(screen_text(app))
        await press(pilot, app, "n")
    assert (await jobs.get_job(store, chosen)).status not in ("cancelled",)


async def test_a_new_page_or_filter_selects_its_top_row(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "down")
        table = app.pane("jobs").table
        first = table.selected_key
        await press(pilot, app, "right_square_bracket")
        top = str(table.ordered_rows[0].key.value)
        assert table.selected_key == top != first and table.lost is None
        await press(pilot, app, "left_square_bracket", "s")
        assert table.selected_key == str(table.ordered_rows[0].key.value)


async def test_confirmations_name_the_target_and_its_state(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    running = seeded.first("running")
    lease = (await jobs.get_job(store, running)).lease
    assert lease is not None
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "z")
        app.pane("jobs").table.select(running)
        await press(pilot, app, "c")
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question
        assert question.startswith(f"Cancel job …{running[-10:]}, now running on node …")
        assert question.endswith(f", try {lease.attempts}/{lease.max_attempts}?")
        assert app.screen.detail.startswith("Its hold of $")
        assert f"Cancel job …{running[-10:]}, now running" in screen_text(app)
        await press(pilot, app, "n", "z", "3", "z")
        rows = app.snapshot.earnings.rows if app.snapshot and app.snapshot.earnings else []
        node_id = rows[0].node_id
        app.pane("earnings").table.select(node_id)
        balance = int(await store.redis.hget(store.keys.balances, f"node:{node_id}") or 0)
        await press(pilot, app, "dollar_sign")
        assert isinstance(app.screen, ConfirmScreen)
        amount = format_usd(balance - balance % 10_000)
        question = app.screen.question
        assert question.startswith(f"Pay node …{node_id[-10:]} (")
        assert question.endswith(f") {amount} now?") and amount in screen_text(app)
        await press(pilot, app, "n", "z", "1", "z")
        node_rows = app.snapshot.nodes.rows if app.snapshot and app.snapshot.nodes else []
        busy = max(node_rows, key=lambda r: r.running)  # a node that holds jobs
        assert busy.running > 0
        app.pane("nodes").table.select(busy.node_id)
        await press(pilot, app, "o")
        assert isinstance(app.screen, ConfirmScreen)
        held = f"{busy.running} job" + ("s" if busy.running > 1 else "")
        assert app.screen.question.startswith(
            f"Take node …{busy.node_id[-10:]} ({busy.status}, holding {held}) offline?"
        )
        assert f"Take node …{busy.node_id[-10:]} ({busy.status}" in screen_text(app)
        await press(pilot, app, "n")


async def test_a_paused_console_is_paused_everywhere(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "p")
        before = screen_text(app)
        assert "PAUSED" in before
        polls = app.polls
        for _ in range(5):
            await jobs.submit(store, job_body(), max_attempts=1)
        app.poll_now()  # a forced wake (as after an action or a resize) draws nothing
        await pilot.pause(0.3)
        assert app.polls == polls and screen_text(app) == before
        await press(pilot, app, "5")  # a pane never drawn is drawn once, status line kept
        assert app.pane("triage").drawn
        status = screen_text(app).splitlines()[0]
        assert status == before.splitlines()[0]
        await press(pilot, app, "p")
        assert screen_text(app).splitlines()[0] != status  # resumed: the 5 new jobs count
