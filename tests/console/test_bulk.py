"""Bulk actions (`T`, `C`) and export (`e`) under Textual's Pilot, on a seeded pool on the real
test Redis: the confirmation names the count (and the holds, for a cancel), every job gets one
audit entry, another creator's jobs are left alone, read-only refuses, and an export's rows are
the table's, with hostile text kept literal and no formula injection."""

from __future__ import annotations

import csv
import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from console.screens.confirm import ConfirmScreen
from console.screens.detail import JobDetailScreen
from console.screens.export import ExportScreen
from console.screens.prompt import PromptScreen
from console.shots import settle
from core import events, jobs
from core.devkit.seed import SeedSummary
from core.money import format_usd
from core.store import Store
from tests.console.conftest import RecordingConsole, press
from tests.console.test_app import select_row

Make = Callable[..., RecordingConsole]


async def ids_in(store: Store, status: str) -> list[str]:
    found, total = await jobs.list_job_ids(store, status=status, limit=1000)
    assert len(found) == total
    return found


async def filter_jobs(pilot: Pilot[None], app: RecordingConsole, text: str) -> None:
    await press(pilot, app, "2", "slash")
    app.screen.query_one(Input).value = text
    await press(pilot, app, "enter")


async def until(pilot: Pilot[None], done: Callable[[], bool]) -> None:
    """Let the app run until `done` (a dialog a worker pushes after a read)."""
    for _ in range(200):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("the app never got there")


def dialog_text(app: RecordingConsole) -> str:
    return " ".join(str(s.content) for s in app.screen.query(Static))


async def test_retry_all_failed_confirms_the_count_and_audits_each_job(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    failed = await ids_in(store, "failed")
    assert len(failed) > 3
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await filter_jobs(pilot, app, "failed")
        await press(pilot, app, "T")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question == f"Retry all {len(failed)} failed jobs?"
        assert app.screen.yes_label == f"Retry {len(failed)}"
        await press(pilot, app, "enter")  # "No" has the focus: nothing happens
        assert await ids_in(store, "failed") == failed
        await press(pilot, app, "T", "y")
        await until(pilot, lambda: app.said("retried"))
        assert await ids_in(store, "failed") == []
        assert app.said(f"{len(failed)} of {len(failed)} failed jobs retried.")
    for job_id in failed:
        assert (await jobs.get_job(store, job_id)).status in ("pending", "assigned")
    audit = await events.recent_audit(store, len(failed) + 10)
    assert len(audit) == len(failed)  # one entry per job, nothing else
    assert sorted(a["target"] for a in audit) == sorted(failed)
    assert {(a["action"], a["outcome"], a["operator"]) for a in audit} == {
        ("job.retry", "ok", "tester@lcn")
    }


async def test_cancel_all_of_one_creator_leaves_the_others_pending(
    make_console: Make, seeded: SeedSummary, store: Store
) -> None:
    pending = await ids_in(store, "pending")
    records = {j: await store.redis.hgetall(store.keys.job(j)) for j in pending}
    creator_of = {j: r[b"creator"].decode() for j, r in records.items()}
    chosen = creator_of[pending[0]]
    theirs = [j for j in pending if creator_of[j] == chosen]
    others = [j for j in pending if creator_of[j] != chosen]
    assert theirs and others
    held = sum(int(records[j].get(b"held") or 0) for j in theirs)
    app = make_console()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await filter_jobs(pilot, app, "pending")
        await press(pilot, app, "z")
        select_row(app, "jobs", pending[0])
        await press(pilot, app, "C")
        assert isinstance(app.screen, PromptScreen)
        assert app.screen.query_one(Input).value == chosen  # offered from the selected job
        await press(pilot, app, "enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert isinstance(app.screen, ConfirmScreen)
        noun = "job" if len(theirs) == 1 else "jobs"
        assert (
            app.screen.question == f"Cancel all {len(theirs)} pending {noun} of creator {chosen}?"
        )
        assert f"Their holds, {format_usd(held)} in all, are released" in app.screen.detail
        await press(pilot, app, "y")
        await until(pilot, lambda: app.said("cancelled."))
        assert app.said(f"{len(theirs)} of {len(theirs)} pending")
    assert {(await jobs.get_job(store, j)).status for j in theirs} == {"cancelled"}
    assert {(await jobs.get_job(store, j)).status for j in others} == {"pending"}
    audit = await events.recent_audit(store, len(pending) + 10)
    assert sorted(a["target"] for a in audit) == sorted(theirs)
    assert {a["action"] for a in audit} == {"job.cancel"}


async def test_bulk_refusals_say_why(make_console: Make, seeded: SeedSummary, store: Store) -> None:
    app = make_console(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await filter_jobs(pilot, app, "failed")
        for key in ("T", "C"):
            await press(pilot, app, key)
            assert not isinstance(app.screen, ConfirmScreen | PromptScreen)
        assert len([m for m, _ in app.notes if "--read-only" in m]) == 2
    assert await events.recent_audit(store, 5) == []
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await filter_jobs(pilot, app, "running")
        await press(pilot, app, "T")
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.said("Retry all applies to failed or cancelled jobs")
        await press(pilot, app, "enter", "T")  # on a job's detail screen: not its filter
        assert isinstance(app.screen, JobDetailScreen)
        assert app.said("Bulk actions work on the jobs pane (2)")
    failed = await ids_in(store, "failed")
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        # A text search narrows the table but not core.bulk's filter: refused, nothing retried.
        await filter_jobs(pilot, app, f"failed {failed[0][-8:]}")
        await press(pilot, app, "T")
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.said("Retry all does not take a text search")
    assert await ids_in(store, "failed") == failed
    assert await events.recent_audit(store, 5) == []


HOSTILE = '=HYPERLINK("http://evil.example","x"), "quoted" [/bold]\nnext line'


async def test_export_writes_the_tables_rows_as_csv_without_formulas(
    make_console: Make, seeded: SeedSummary, store: Store, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("LCN_EXPORT_DIR", str(tmp_path / "out"))
    failed = await ids_in(store, "failed")  # newest first, as the table
    marked = failed[1]
    await store.redis.hset(store.keys.job(marked), mapping={"error": HOSTILE, "agent": "@SUM(A1)"})
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await filter_jobs(pilot, app, "failed")
        shown = [str(r.key.value) for r in app.pane("jobs").table.ordered_rows]
        assert len(shown) >= 3
        await press(pilot, app, "e")
        assert isinstance(app.screen, ExportScreen)
        assert (
            "the jobs table: every row that matches (filter state:failed), newest first"
            in dialog_text(app)
        )
        await press(pilot, app, "enter")  # CSV has the focus
        await until(pilot, lambda: app.said("Wrote"))
        files = list((tmp_path / "out").iterdir())
        assert len(files) == 1 and files[0].suffix == ".csv"
        assert app.said(f"Wrote {len(failed)} jobs to {files[0]}")
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
        with files[0].open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        await press(pilot, app, "e", "j")
        await until(pilot, lambda: sum("Wrote" in m for m, _ in app.notes) == 2)
    assert [r["job_id"] for r in rows] == failed  # every matching row, the table's order
    assert [r["job_id"] for r in rows[: len(shown)]] == shown  # the page on screen first
    assert {r["status"] for r in rows} == {"failed"}
    hostile = next(r for r in rows if r["job_id"] == marked)
    assert hostile["error"] == "'" + HOSTILE  # literal, quoted, and not a formula
    assert hostile["agent_id"] == "'@SUM(A1)"
    assert hostile["created_at"].endswith("+00:00")
    documents = [p for p in (tmp_path / "out").iterdir() if p.suffix == ".json"]
    assert len(documents) == 1
    document = json.loads(documents[0].read_text())
    assert document["filter"] == "state:failed" and document["total"] == len(failed)
    exported = {r["job_id"]: r for r in document["rows"]}
    assert list(exported) == failed and exported[marked]["error"] == HOSTILE  # JSON: as is
