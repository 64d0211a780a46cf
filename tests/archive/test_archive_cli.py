"""`lcn archive status`: the archive's figures beside what Redis still holds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from click.testing import Result

from core.archive import Archive
from core.config import Settings
from core.store import connect
from core.swarm.archiver import Retention, archive_due
from tests.archive.finished_pool import run_jobs
from tests.archive.test_archiver import cover_all, finished_scores


async def archive_all_but_five(settings: Settings) -> tuple[list[str], dict[str, float]]:
    store = await connect(settings)
    try:
        ids = await run_jobs(store, 12)
        await cover_all(store)
        async with await Archive.open(settings) as archive:
            retention = Retention(window_s=86_400, keep_jobs=5)
            assert (await archive_due(store, archive, retention)).archived == 7
        return ids, await finished_scores(store)
    finally:
        await store.close()


def test_status_shows_archived_and_live_history(
    settings: Settings,
    lcn: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LCN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LCN_RETAIN_JOBS", "5")
    empty = json.loads(lcn("archive", "status", "--json").stdout)
    assert empty["tables"]["jobs"]["rows"] == 0 and empty["redis"]["oldestFinished"] is None
    assert empty["redis"]["coveredUntil"] == 0 and empty["retention"]["retainJobs"] == 5

    ids, live = asyncio.run(archive_all_but_five(settings))
    oldest_live = min(live, key=live.__getitem__)

    report = json.loads(lcn("archive", "status", "--json").stdout)
    assert report["backend"] == "sqlite" and report["sizeBytes"] > 0
    assert report["tables"]["jobs"]["rows"] == 7
    assert report["tables"]["postings"]["rows"] > 0
    assert report["redis"]["finishedJobs"] == 5
    assert report["redis"]["oldestFinished"]["finishedAt"] == live[oldest_live]
    assert report["redis"]["oldestFinished"]["jobId"] in ids
    assert report["oldestArchivedJob"] is not None

    text = lcn("archive", "status").stdout
    assert "redis: 5 finished jobs, oldest" in text and "jobs " in text


def test_status_refuses_a_bad_archive_url_in_one_sentence(
    lcn: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_ARCHIVE_URL", "mysql://nowhere/x")
    result = lcn("archive", "status", "--json", ok=False)
    assert result.exit_code != 0
    error = json.loads(result.stdout)["error"]
    assert error["message"].endswith(".") and "\n" not in error["message"]


async def archive_and_trim_all(settings: Settings) -> None:
    store = await connect(settings)
    try:
        await run_jobs(store, 10)
        await cover_all(store)
        async with await Archive.open(settings) as archive:
            run = await archive_due(store, archive, Retention(window_s=0, keep_jobs=0))
            assert run.streams.journal_trimmed > 0
    finally:
        await store.close()


def test_ledger_check_full_reads_the_archive(
    settings: Settings, lcn: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_DATA_DIR", str(settings.data_dir))
    asyncio.run(archive_and_trim_all(settings))
    out = lcn("ledger", "check", "--full").stdout
    assert "ledger balanced and proven" in out and "read from the archive" in out, out
    report = json.loads(lcn("ledger", "check", "--full", "--json").stdout)
    assert report["fullHistory"] and report["archived"] > 0 and not report["problems"]
