"""A running job's log lines reach the job while it runs (the console's `f` follows them), over
either link: fenced by the lease, bounded, printable."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from core import jobs
from core.errors import Conflict, InvalidInput
from core.jobs import MAX_LOG_LINE, MAX_LOG_LINES
from core.store import Store
from core.swarm.agent import Agent, AgentConfig
from core.swarm.link import NodeLink, RedisLink
from core.swarm.log_stream import LogStream, skipped_note, stop_note
from core.wire.base import MAX_LOG_BATCH_IN
from core.wire.leases import ClaimedJob
from tests.gateway.conftest import SignedInNode
from tests.gateway.test_http_link import http_link, redis_link
from tests.helpers import register_node
from tests.jobfactory import job_body

LINKS = pytest.mark.parametrize("make_link", [http_link, redis_link], ids=["http", "redis"])

# Prints, then waits far longer than the test takes: the test sees its lines while it runs,
# then cancels it.
CHATTY = """
import sys, time
for i in range(3):
    print(f"step {i}", flush=True)
print("\\x1b[31m[bold]red[/bold]\\a\\ttab", flush=True)
sys.stderr.write("careful [/x]\\n")
sys.stderr.flush()
time.sleep(25)
print("never")
"""


async def claimed(link: NodeLink, store: Store, **task: Any) -> ClaimedJob:
    await jobs.submit(store, job_body(**task), max_attempts=3)
    claim = await link.claim("agent-1", ["code-execution"], 30)
    assert claim is not None
    return claim


async def logs_once(store: Store, job_id: str, wanted: str) -> list[str]:
    """The job's logs once `wanted` is among them (polled; the test's own timeout bounds it)."""
    while True:
        logs = (await jobs.get_job(store, job_id)).logs
        if wanted in logs:
            return logs
        await asyncio.sleep(0.05)


@LINKS
async def test_a_running_jobs_lines_reach_it_before_it_ends(
    make_link: Any, app: FastAPI, store: Store
) -> None:
    link: NodeLink = await make_link(app, store)
    await link.register_agent("agent-1", ["code-execution"], [])
    agent = Agent(link, AgentConfig("agent-1", ["code-execution"], lease_s=3.0))
    claim = await claimed(link, store, language="python", code=CHATTY)
    working = asyncio.create_task(agent.work_on(claim))
    try:
        logs = await asyncio.wait_for(logs_once(store, claim.job_id, "stderr: careful [/x]"), 20)
        job = await jobs.get_job(store, claim.job_id)
        assert job.status == "running"  # the lines came while it ran
        assert logs[:3] == ["step 0", "step 1", "step 2"]
        # Hostile text is stored printable and bounded; markup stays literal text.
        assert logs[3] == "?[31m[bold]red[/bold]?    tab"
        assert "never" not in logs

        # Only the lease holder writes: a stale token is refused and changes nothing.
        with pytest.raises(Conflict):
            await link.append_logs(claim.job_id, "1-stale", ["forged"])
        assert "forged" not in (await jobs.get_job(store, claim.job_id)).logs
        await jobs.cancel(store, claim.job_id)
        await asyncio.wait_for(working, 20)  # the lease is lost: the agent stops the job
    finally:
        working.cancel()
    assert agent.stats.lost == 1
    with pytest.raises(Conflict):  # the lease it held is no longer a right to write
        await link.append_logs(claim.job_id, claim.token, ["after the end"])
    job = await jobs.get_job(store, claim.job_id)
    assert job.status == "cancelled" and "after the end" not in job.logs
    await link.close()


@LINKS
async def test_the_live_log_is_bounded(make_link: Any, app: FastAPI, store: Store) -> None:
    link: NodeLink = await make_link(app, store)
    claim = await claimed(link, store)
    stream = LogStream(link, claim.job_id, claim.token, budget=300)
    stream.line("\x1b]0;owned\x07" + "x" * 10_000)  # a title-setting escape, far too long
    for i in range(1, 1000):  # a burst: more than waits at once, more than the budget
        stream.line(f"line {i}")
    assert stream.taken == 300
    logs = await asyncio.wait_for(logs_once(store, claim.job_id, stop_note(300)), 20)
    # One batch of the newest lines, saying how many were pushed out before they were sent.
    assert len(logs) == MAX_LOG_LINES
    assert logs[0] == skipped_note(102) and logs[1] == "line 102" and logs[-2] == "line 299"
    stream.line("more")  # the budget is spent: taken no more
    assert stream.taken == 300 and stream.sent == MAX_LOG_LINES
    await stream.close()

    # A stream whose first line is a long hostile one: cut and printable.
    second = LogStream(link, claim.job_id, claim.token)
    second.line("\x1b]0;owned\x07" + "y" * 10_000)
    logs = await asyncio.wait_for(logs_once(store, claim.job_id, stop_note(300)), 20)
    while logs[-1] == stop_note(300):
        await asyncio.sleep(0.05)
        logs = (await jobs.get_job(store, claim.job_id)).logs
    assert logs[-1] == "?]0;owned?" + "y" * (MAX_LOG_LINE - 10)
    assert len(logs) == MAX_LOG_LINES  # the job still keeps only its newest lines
    await second.close()
    await link.close()


async def test_batches_keep_their_gap(store: Store) -> None:
    """However fast a job writes, its stream sends at most once per gap: the lines meanwhile
    wait (the newest kept) for the next batch."""
    sent: list[list[str]] = []

    class Counting(RedisLink):  # the real link, counting what it is given
        async def append_logs(self, job_id: str, token: str, lines: list[str]) -> int:
            sent.append(lines)
            return await super().append_logs(job_id, token, lines)

    link = Counting(store, (await register_node(store)).node_id)
    claim = await claimed(link, store)
    stream = LogStream(link, claim.job_id, claim.token, min_gap_s=3600)
    stream.line("first")
    await asyncio.wait_for(logs_once(store, claim.job_id, "first"), 20)
    for i in range(120):  # more than a batch's worth, over several turns of the loop
        stream.line(f"later {i}")
        await asyncio.sleep(0)
    await asyncio.sleep(0.3)  # past the batch delay: still nothing, the gap holds
    assert sent == [["first"]] and (await jobs.get_job(store, claim.job_id)).logs == ["first"]
    await stream.close()


@LINKS
async def test_a_refused_lease_stops_the_stream(make_link: Any, app: FastAPI, store: Store) -> None:
    link: NodeLink = await make_link(app, store)
    claim = await claimed(link, store)
    stream = LogStream(link, claim.job_id, "1-stale")
    stream.line("forged")
    while not stream.refused:
        await asyncio.sleep(0.02)
    stream.line("and more")  # after a refusal nothing is taken or sent
    assert stream.sent == 0 and stream.taken == 1
    assert (await jobs.get_job(store, claim.job_id)).logs == []
    await stream.close()
    await link.close()


async def test_the_logs_route_takes_only_bounded_batches_from_the_lease_holder(
    client: httpx.AsyncClient, store: Store, node_a: SignedInNode
) -> None:
    await jobs.submit(store, job_body(), max_attempts=3)
    claim = await jobs.claim(store, node_a.node_id, "agent-1", ["code-execution"], 30)
    assert claim is not None
    path = f"/lit-compute/jobs/{claim.job_id}/logs"

    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post(path, json=body, headers=node_a.auth)

    ok = await post({"token": claim.token, "lines": ["one", "two"]})
    assert ok.status_code == 200 and ok.json() == {"jobId": claim.job_id, "kept": 2}
    for body in (
        {"token": claim.token, "lines": []},
        {"token": claim.token, "lines": ["x"] * (MAX_LOG_BATCH_IN + 1)},
        {"token": claim.token, "lines": ["x" * (MAX_LOG_LINE + 1)]},
        {"token": claim.token, "lines": [1]},
        {"token": claim.token},
    ):
        refused = await post(body)
        assert refused.status_code in (400, 422), refused.text
        assert refused.json()["error"]["message"]
    stale = await post({"token": "1-stale", "lines": ["forged"]})
    assert stale.status_code == 409
    unsigned = await client.post(path, json={"token": claim.token, "lines": ["x"]})
    assert unsigned.status_code == 401
    assert (await jobs.get_job(store, claim.job_id)).logs == ["one", "two"]
    with pytest.raises(InvalidInput):
        await jobs.append_logs(store, claim.job_id, claim.token, [])
