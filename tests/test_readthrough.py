"""Reads go through to the archive: a finished job moved out of Redis is found by `jobs.get_job`,
`lcn job get`, `lcn job list` (paged across live and archived jobs by one cursor) and the
console's node history, exactly as a live one and marked archived; unknown ids still say so."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from core import jobs
from core.config import Settings
from core.errors import InvalidInput, NotFound
from core.ids import record_cid
from core.models.node import Node
from core.reads import snapshot as snap
from core.store import Store, connect
from tests.archived import archive_job
from tests.helpers import register_node, shared_sqlite_archive
from tests.jobfactory import job_body

Lcn = Callable[..., Result]
HOSTILE = "[bold red]boom[/] \x1b[31mred\x1b[0m <script>alert(1)</script> ' OR 1=1 -- \u202e"
# A log line as the job keeps it: printable (core.log_lines), the markup still literal.
LOGGED = HOSTILE.replace("\x1b", "?").replace("\u202e", "?")
BIG_INPUT = {"rows": ["x" * 100] * 80}  # above the codec's blob size: stored once by CID


@pytest.fixture
def archive_settings(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    return shared_sqlite_archive(settings, tmp_path, monkeypatch)


@pytest.fixture
async def astore(archive_settings: Settings) -> AsyncIterator[Store]:
    s = await connect(archive_settings)
    yield s
    await s.close()


async def finished_job(store: Store, node: Node, *, logs: list[str], **task: Any) -> str:
    job_id = (await jobs.submit(store, job_body(**task), max_attempts=3)).job_id
    claim = await jobs.claim(store, node.node_id, "agent-1", ["code-execution"], lease_s=30)
    assert claim is not None and claim.job_id == job_id
    await jobs.complete(
        store, job_id, claim.token, duration_ms=250, output={"said": HOSTILE}, logs=logs
    )
    return job_id


async def test_an_archived_job_reads_exactly_as_it_did_live(
    astore: Store, archive_settings: Settings
) -> None:
    node = await register_node(astore)
    job_id = await finished_job(astore, node, logs=[HOSTILE, "done"], input=BIG_INPUT)
    live, live_history = await jobs.get_job_with_history(astore, job_id)
    await archive_job(astore, archive_settings, job_id)
    assert not await astore.redis.exists(astore.keys.job(job_id))

    archived, history = await jobs.get_job_with_history(astore, job_id)
    assert archived.archived and not live.archived
    assert archived.model_dump(exclude={"archived"}) == live.model_dump(exclude={"archived"})
    assert archived.task.input == BIG_INPUT and archived.logs[0] == LOGGED
    assert history == live_history and history
    assert (await jobs.get_job(astore, job_id)).wire()["archived"] is True


async def test_unknown_and_malformed_ids_still_say_so(
    astore: Store, archive_settings: Settings
) -> None:
    node = await register_node(astore)
    await archive_job(astore, archive_settings, await finished_job(astore, node, logs=[]))
    unknown = record_cid({"unknown": "a"})
    with pytest.raises(NotFound, match=f"No job {unknown} in pool"):
        await jobs.get_job(astore, unknown)
    with pytest.raises(InvalidInput):
        await jobs.get_job(astore, "not-a-cid'; DROP TABLE jobs; --")


async def test_without_an_archive_reads_do_not_fall_back(store: Store) -> None:
    """The default archive is a SQLite file in the data dir; a read never creates it."""
    unknown = record_cid({"unknown": "b"})
    with pytest.raises(NotFound):
        await jobs.get_job(store, unknown)
    assert store.data_dir is not None and not any(store.data_dir.glob("archive*"))
    page = await jobs.list_jobs(store, archived=True)
    assert (page.jobs, page.total, page.next_cursor) == ([], 0, None)


async def test_an_archive_that_cannot_be_opened_is_no_error(settings: Settings) -> None:
    broken = settings.model_copy(update={"archive_url": "postgresql://nobody@127.0.0.1:1/none"})
    s = await connect(broken)
    try:
        with pytest.raises(NotFound):
            await jobs.get_job(s, record_cid({"unknown": "c"}))
        assert (await jobs.list_jobs(s)).total == 0
    finally:
        await s.close()


async def test_list_pages_live_then_archived_with_one_cursor(
    astore: Store, archive_settings: Settings
) -> None:
    node = await register_node(astore)
    made = [await finished_job(astore, node, logs=[f"job {i}"]) for i in range(7)]
    created = {j: int(await astore.redis.hget(astore.keys.job(j), "created_at")) for j in made}
    for job_id in made[:4]:  # the oldest four leave Redis
        await archive_job(astore, archive_settings, job_id)
    # Newest first, live then archived; jobs made in the same millisecond by id, as Redis's
    # index and the archive both order them.
    live, gone = made[4:], made[:4]
    newest_first = [
        *sorted(live, key=lambda j: (created[j], j), reverse=True),
        *sorted(gone, key=lambda j: (created[j], j), reverse=True),
    ]

    seen: list[tuple[str, bool]] = []
    cursor = None
    pages = 0
    while True:
        page = await jobs.list_jobs(astore, cursor=cursor, limit=2)
        assert page.total == 7
        seen += [(j.job_id, j.archived) for j in page.jobs]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [i for i, _ in seen] == newest_first and pages == 4
    assert [a for _, a in seen] == [False] * 3 + [True] * 4
    # Plain offsets run on into the archive too; --archived lists the archive alone.
    assert [j.job_id for j in (await jobs.list_jobs(astore, offset=2, limit=3)).jobs] == (
        newest_first[2:5]
    )
    only = await jobs.list_jobs(astore, archived=True, limit=3)
    assert [j.job_id for j in only.jobs] == newest_first[3:6] and only.total == 4
    rest = await jobs.list_jobs(astore, archived=True, cursor=only.next_cursor, limit=3)
    assert [j.job_id for j in rest.jobs] == newest_first[6:] and rest.next_cursor is None
    # Filters reach the archive: one node's, one state's.
    assert (await jobs.list_jobs(astore, node_id=node.node_id, limit=100)).total == 7
    assert (await jobs.list_jobs(astore, status="running", limit=100)).total == 0


async def test_a_job_in_both_places_is_listed_once(
    astore: Store, archive_settings: Settings
) -> None:
    """The archiver writes the archive first, then removes from Redis: in between (or after a
    crash there) the job is listed once, as live."""
    node = await register_node(astore)
    job_id = await finished_job(astore, node, logs=[])
    other = await finished_job(astore, node, logs=[])
    await archive_job(astore, archive_settings, other)
    fields = await astore.redis.hgetall(astore.keys.job(job_id))
    await archive_job(astore, archive_settings, job_id)
    await astore.redis.hset(astore.keys.job(job_id), mapping=fields)
    await astore.redis.zadd(astore.keys.jobs_all, {job_id: 1})
    listed = [(j.job_id, j.archived) for j in (await jobs.list_jobs(astore, limit=10)).jobs]
    assert listed == [(job_id, False), (other, True)]


@pytest.mark.parametrize(
    "cursor",
    ["", "live", "live.-1", "arch.1", "arch.x.y", "arch.1.a'--", "live.1\n", "x" * 300],
)
async def test_a_bad_cursor_is_refused_in_one_sentence(astore: Store, cursor: str) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        await jobs.list_jobs(astore, cursor=cursor)


async def test_cursor_and_offset_together_are_refused(astore: Store) -> None:
    with pytest.raises(InvalidInput, match="not both"):
        await jobs.list_jobs(astore, cursor="live.0", offset=3)
    with pytest.raises(InvalidInput, match="archived jobs alone"):
        await jobs.list_jobs(astore, cursor="live.0", archived=True)
    with pytest.raises(InvalidInput, match="node id"):
        await jobs.list_jobs(astore, node_id="x' OR 1=1 --", archived=True)


def test_lcn_job_get_and_list_find_archived_jobs(lcn: Lcn, archive_settings: Settings) -> None:
    async def prepare() -> tuple[str, str]:
        store = await connect(archive_settings)
        try:
            node = await register_node(store)
            old = await finished_job(store, node, logs=[HOSTILE])
            new = await finished_job(store, node, logs=[])
            await archive_job(store, archive_settings, old)
            return old, new
        finally:
            await store.close()

    old, new = asyncio.run(prepare())
    shown = json.loads(lcn("job", "get", old, "--json").output)
    assert shown["jobId"] == old and shown["archived"] is True
    assert shown["logs"] == [LOGGED] and shown["status"] == "completed"
    assert any("completed in" in h for h in shown["history"])
    text = lcn("job", "get", old[-8:]).output  # a tail, as the console shows ids
    # Literally, as a live job's logs are (click leaves out terminal escapes in a pipe).
    assert "archived                True" in text and f"log | {LOGGED}" in text
    listed = json.loads(lcn("job", "list", "--json").output)
    assert [(j["jobId"], j["archived"]) for j in listed["jobs"]] == [(new, False), (old, True)]
    assert listed["total"] == 2 and listed["next"] is None
    first = json.loads(lcn("job", "list", "--json", "--limit", "1").output)
    assert first["next"] == "live.1"
    second = json.loads(lcn("job", "list", "--json", "--cursor", first["next"]).output)
    assert [j["jobId"] for j in second["jobs"]] == [old]
    assert old in lcn("job", "list", "--archived").output
    assert "completed (archived)" in lcn("job", "list").output

    unknown = record_cid({"unknown": "d"})
    refused = lcn("job", "get", unknown, ok=False)
    assert refused.exit_code == 1 and f"No job {unknown} in pool" in refused.output
    refused = lcn("job", "get", "zzzzzz", ok=False)
    assert refused.exit_code == 1 and "is or ends with 'zzzzzz'" in refused.output


async def test_the_console_node_history_goes_on_into_the_archive(
    astore: Store, archive_settings: Settings
) -> None:
    """The jobs pane filtered to one node (its earnings history) runs past the live jobs into
    the archived ones; the total counts both."""
    node = await register_node(astore)
    made = [await finished_job(astore, node, logs=[]) for i in range(5)]
    for job_id in made[:3]:
        await archive_job(astore, archive_settings, job_id)
    window = snap.JobWindow(node_id=node.node_id, limit=4)
    found = await snap.poll(astore, snap.ViewRequest(jobs=window, triage=False))
    assert found.jobs is not None and found.jobs.total == 5
    first = [(r.job_id, r.archived) for r in found.jobs.rows]
    assert {j for j, _ in first[:2]} == set(made[3:]) and [a for _, a in first] == [
        False,
        False,
        True,
        True,
    ]
    assert all(r.actual_cost for r in found.jobs.rows)  # what the node earned on each
    later = window.model_copy(update={"offset": 4})
    found = await snap.poll(astore, snap.ViewRequest(jobs=later, triage=False))
    assert found.jobs is not None
    rest = [(r.job_id, r.archived) for r in found.jobs.rows]
    assert len(rest) == 1 and rest[0][1]
    assert {j for j, _ in first} | {rest[0][0]} == set(made)
