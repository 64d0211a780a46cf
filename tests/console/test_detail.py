"""The job and node detail screens read well: the lease only while there is one, dollars only,
code highlighted by its language, a long input folded until `i`, an operator's hold named."""

from __future__ import annotations

from collections.abc import Callable

from rich.syntax import Syntax
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.screens.detail import INPUT_LINES, JobDetailScreen, NodeDetailScreen
from console.shots import screen_text, settle
from core import actions, jobs
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
