"""The console's job detail finds a job that has moved to the archive (it is no longer in
Redis), shows it as it showed it live, says "archived" in its header, and shows hostile text in
its fields literally."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Static

from console.screens.detail import JobDetailScreen
from console.shots import screen_text, settle
from core import jobs
from core.config import Settings
from core.ids import record_cid
from core.store import Store
from tests.archived import archive_job
from tests.console.conftest import RecordingConsole
from tests.console.test_detail import open_record, static
from tests.helpers import register_node
from tests.jobfactory import job_body

Make = Callable[..., RecordingConsole]
HOSTILE = "[bold red]owned[/] [link=https://evil.example]click[/link] \x1b[2J"


async def archived_hostile_job(store: Store, settings: Settings) -> str:
    node = await register_node(store)
    job_id = (await jobs.submit(store, job_body(input={"note": HOSTILE}), max_attempts=3)).job_id
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    await jobs.complete(
        store, job_id, claim.token, duration_ms=500, output={"said": HOSTILE}, logs=[HOSTILE]
    )
    await archive_job(store, settings, job_id)
    assert not await store.redis.exists(store.keys.job(job_id))
    return job_id


async def test_an_archived_job_opens_marked_archived(
    make_console: Make, store: Store, settings: Settings
) -> None:
    job_id = await archived_hostile_job(store, settings)
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, job_id)
        assert isinstance(app.screen, JobDetailScreen), app.notes
        assert not app.screen.gone
        title = str(app.screen.query_one("#detail-title", Static).content)
        assert title == f"Job {job_id}  archived"
        polls = app.polls
        summary = str(static(app, "summary").content)
        assert "state" in summary and "completed" in summary
        assert "$" in str(static(app, "cost").content)
        assert "completed in" in str(static(app, "history").content)
        # Hostile text is shown as it was written, never read as markup; a log line is also
        # made printable when stored (core.log_lines: no escape reaches a terminal).
        assert str(static(app, "logs").content) == HOSTILE.replace("\x1b", "?")
        assert HOSTILE[:40] in str(static(app, "result").content)
        # A later poll keeps it (the screen reads it again from the archive, not "gone").
        app.poll_now()
        await settle(pilot, app)
        assert isinstance(app.screen, JobDetailScreen)
        assert (
            app.polls > polls
            and not app.screen.gone
            and "archived" in str(app.screen.query_one("#detail-title", Static).content)
        )
        # Steering it is refused in one sentence: it has finished and left the live store.
        await pilot.press("r")
        await settle(pilot, app)
        assert app.said("in this pool") and isinstance(app.screen, JobDetailScreen)


async def test_an_unknown_job_is_still_not_found(
    make_console: Make, store: Store, settings: Settings
) -> None:
    await archived_hostile_job(store, settings)
    unknown = record_cid({"unknown": "console"})
    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await open_record(pilot, app, unknown)
        assert not isinstance(app.screen, JobDetailScreen)
        assert app.said("No job or node")
        assert "archived" not in screen_text(app)
