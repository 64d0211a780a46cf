"""The job and node detail screens read well: the lease only while there is one, dollars only,
code highlighted by its language, a long input folded until `i`, a running job's log followed
until `f`, history with how long ago and when, an operator's hold named."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from rich.syntax import Syntax
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.format import clock
from console.screens.detail import INPUT_LINES, JobDetailScreen, NodeDetailScreen, when
from console.shots import screen_text, settle
from core import actions, jobs
from core.archive import Archive, schema
from core.config import Settings
from core.devkit import seed
from core.errors import Conflict, InvalidInput, NotFound
from core.jobs import MAX_LOG_LINES
from core.store import Store
from tests.console.conftest import RecordingConsole, press
from tests.helpers import register_node
from tests.jobfactory import job_body

Make = Callable[..., RecordingConsole]
PYTHON = "import json\nprint(json.dumps({'total': sum(range(10))}))"
LONG_INPUT = {"rows": [{"n": i, "label": f"row {i}"} for i in range(30)]}


async def completed_python_job(store: Store) -> str:
    node = await register_node(store)
    body = job_body(code=PYTHON, language="python", input=LONG_INPUT)
    job_id = (await jobs.submit(store, body, max_attempts=3)).job_id
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    await jobs.complete(store, job_id, claim.token, duration_ms=1234, output={"total": 45})
    return job_id


async def open_record(pilot: Pilot[None], app: RecordingConsole, record_id: str) -> None:
    await press(pilot, app, "g")
    app.screen.query_one(Input).value = record_id
    await press(pilot, app, "enter")
    await settle(pilot, app)


def static(app: RecordingConsole, name: str) -> Static:
    return app.screen.query_one(f"#detail-{name}", Static)


async def test_a_finished_job_reads_well(make_console: Make, store: Store) -> None:
    job_id = await completed_python_job(store)
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, job_id)
        assert isinstance(app.screen, JobDetailScreen)
        lease = str(static(app, "lease").content)
        assert "lease     none" in lease and "expires" not in lease  # no lease, no expiry
        money = str(static(app, "cost").content) + str(static(app, "history").content)
        assert "µUSD" not in money and "$" in money
        assert "cost $" in str(static(app, "history").content)  # the core's µUSD, in dollars
        code = static(app, "code").content
        assert isinstance(code, Syntax) and code.code == PYTHON
        assert code.lexer is not None and code.lexer.name == "Python"
        assert "code (python)" in screen_text(app)
        # The input is folded: a few lines, and a note that says how to see the rest.
        given = static(app, "input").content
        assert isinstance(given, Syntax) and len(given.code.splitlines()) == INPUT_LINES
        note = str(static(app, "input-note").content)
        assert "more lines" in note and "i shows all" in note
        await press(pilot, app, "i")
        given = static(app, "input").content
        assert isinstance(given, Syntax) and '"label": "row 29"' in given.code
        assert "i folds" in str(static(app, "input-note").content)
        await press(pilot, app, "i")
        given = static(app, "input").content
        assert isinstance(given, Syntax) and len(given.code.splitlines()) == INPUT_LINES


async def test_a_running_job_shows_its_lease_and_when_it_expires(
    make_console: Make, store: Store
) -> None:
    node = await register_node(store)
    job_id = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    app = make_console(clock=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, job_id)
        lease = str(static(app, "lease").content)
        assert "held, expires in" in lease
        assert static(app, "input").display is False  # an empty input takes no room


async def test_node_detail_names_who_holds_it_offline(make_console: Make, store: Store) -> None:
    node = await register_node(store)
    await actions.node_action(store, "ana@ops", "offline", node.node_id)
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, node.node_id)
        assert isinstance(app.screen, NodeDetailScreen)
        assert "offline, held by ana@ops" in str(static(app, "summary").content)


async def running_job(store: Store) -> tuple[str, str]:
    node = await register_node(store)
    job_id = (await jobs.submit(store, job_body(), max_attempts=3)).job_id
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    return job_id, claim.token


def logs_box(app: RecordingConsole) -> VerticalScroll:
    return app.screen.query_one("#detail-logs-box", VerticalScroll)


async def test_a_running_jobs_log_is_followed_until_f_and_then_stays_put(
    make_console: Make, store: Store
) -> None:
    job_id, token = await running_job(store)
    await jobs.append_logs(store, job_id, token, [f"step {i}" for i in range(40)])
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, job_id)
        assert isinstance(app.screen, JobDetailScreen) and app.screen.following
        assert "following · f stops" in title(app)
        # Each poll brings new lines; the followed view ends at the newest.
        for poll in range(3):
            await jobs.append_logs(
                store, job_id, token, [f"poll {poll} line {i}" for i in range(5)]
            )
            await settle(pilot, app)
            await pilot.pause()
            box = logs_box(app)
            assert f"poll {poll} line 4" in str(static(app, "logs").content)
            assert box.max_scroll_y > 0 and box.scroll_y == box.max_scroll_y
        # `f` stops following: new lines arrive, the position stays where it was.
        await press(pilot, app, "f")
        assert not app.screen.following and "f follows" in title(app)
        box = logs_box(app)
        box.scroll_to(y=3, animate=False)
        await pilot.pause()
        await jobs.append_logs(store, job_id, token, [f"late {i}" for i in range(10)])
        await settle(pilot, app)
        await pilot.pause()
        assert "late 9" in str(static(app, "logs").content)
        assert box.scroll_y == 3 and box.max_scroll_y > 3
        # `f` again follows, at once.
        await press(pilot, app, "f")
        await pilot.pause()
        assert app.screen.following and box.scroll_y == box.max_scroll_y


def title(app: RecordingConsole) -> str:
    return str(app.screen.query_one("#section-logs", Static).content)


async def test_history_says_how_long_ago_and_when(make_console: Make, store: Store) -> None:
    job_id = await completed_python_job(store)
    now = seed.FIXED_NOW_MS
    assert when(now - 12_000, now) == "12s ago · " + clock(now - 12_000).split(" ")[1]
    assert when(now - 3 * 86_400_000, now) == "3d0h ago · " + clock(now - 3 * 86_400_000)
    app = make_console(clock=None)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, job_id)
        history = str(static(app, "history").content).splitlines()
        assert history and all(re.search(r"\d+s ago · \d\d:\d\d:\d\d  ", line) for line in history)
        assert "created" in str(static(app, "summary").content)
        assert re.search(
            r"created\s+\d+s ago · \d\d:\d\d:\d\d", str(static(app, "summary").content)
        )


async def test_logs_are_appended_only_by_the_lease_holder_of_a_running_job(store: Store) -> None:
    job_id, token = await running_job(store)
    assert await jobs.append_logs(store, job_id, token, ["one", "two"]) == 2
    with pytest.raises(Conflict):
        await jobs.append_logs(store, job_id, "not-the-token", ["three"])
    with pytest.raises(InvalidInput):
        await jobs.append_logs(store, job_id, token, [])
    with pytest.raises(NotFound):
        await jobs.append_logs(store, "bafynosuchjob", token, ["x"])
    many = [f"line {i}" for i in range(MAX_LOG_LINES + 5)]
    assert await jobs.append_logs(store, job_id, token, many) == MAX_LOG_LINES  # the tail kept
    logs = (await jobs.get_job(store, job_id)).logs
    assert logs[0] == "line 5" and logs[-1] == f"line {MAX_LOG_LINES + 4}"


async def test_a_large_input_kept_by_cid_is_read_once_for_the_detail(
    make_console: Make, store: Store, settings: Settings
) -> None:
    """The poll brings the job's reference; the screen reads the blob once, on its own worker,
    and keeps it: with the blob gone from the archive afterwards, the polls still show it."""
    big = {"rows": [f"row {i:05d} " + "x" * 50 for i in range(200)]}
    job_id = (await jobs.submit(store, job_body(input=big), max_attempts=3)).job_id
    assert await store.redis.hexists(store.keys.job(job_id), "input_cid")
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, job_id)
        screen = app.screen
        assert isinstance(screen, JobDetailScreen)
        for _ in range(200):  # the screen's own worker reads the blob
            if screen.blobs.found:
                break
            await pilot.pause(0.05)
        await settle(pilot, app)
        await press(pilot, app, "i")
        given = static(app, "input").content
        assert isinstance(given, Syntax) and "row 00199" in given.code
        async with await Archive.open(settings) as archive, archive.engine.begin() as conn:
            await conn.execute(schema.blobs.delete())
        await settle(pilot, app)
        await settle(pilot, app)
        given = static(app, "input").content
        assert isinstance(given, Syntax) and "row 00199" in given.code
