"""A random mix of submits, claims, completions, failures, expiries, reassignments, cancels
and node outages; after every step the books balance and no job is lost or in two states."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from core import jobs, ledger, registry
from core.config import Settings
from core.errors import Conflict
from core.models.job import JOB_STATUSES
from core.store import Store, connect
from core.wire.leases import ClaimedJob
from tests.helpers import register_node
from tests.jobfactory import job_body

_runs = itertools.count()
PICK = st.integers(0, 10**6)


class JobLifecycle(RuleBasedStateMachine):
    redis_url = ""

    nodes = Bundle("nodes")

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        settings_ = Settings(
            redis_url=self.redis_url, pool=f"sm{next(_runs)}", data_dir=Path("/nonexistent")
        )
        self.store: Store = self.run(connect(settings_))
        self.job_ids: list[str] = []
        self.claims: list[ClaimedJob] = []
        self.stale: list[ClaimedJob] = []

    def run(self, coro):  # type: ignore[no-untyped-def]
        return self.loop.run_until_complete(coro)

    def teardown(self) -> None:
        self.run(self.store.close())
        self.loop.close()

    @initialize(target=nodes)
    def first_node(self) -> str:
        return self.run(register_node(self.store, capabilities={"cpu": 3})).node_id

    @precondition(lambda self: len(self.job_ids) < 40)
    @rule(target=nodes, cpu=st.integers(1, 4))
    def add_node(self, cpu: int) -> str:
        return self.run(register_node(self.store, capabilities={"cpu": cpu})).node_id

    @rule(cpu=st.integers(1, 3), attempts=st.integers(1, 3))
    def submit(self, cpu: int, attempts: int) -> None:
        body = job_body(requirements={"cpu": cpu, "memory": 1, "timeout": 10})
        self.job_ids.append(self.run(jobs.submit(self.store, body, max_attempts=attempts)).job_id)

    @rule(node=nodes)
    def claim(self, node: str) -> None:
        got = self.run(jobs.claim(self.store, node, "agent", ["code-execution"], lease_s=60))
        if got:
            self.claims.append(got)

    # Rules pick by an index drawn up front (never a draw that depends on what Redis did), so
    # hypothesis replays draw the same values even when ids and timings differ between runs.
    def _take(self, pick: int, stale: bool) -> ClaimedJob | None:
        pool = self.stale if stale and self.stale else self.claims
        if not pool:
            return None
        return pool.pop(pick % len(pool))

    def _job(self, pick: int) -> str | None:
        return self.job_ids[pick % len(self.job_ids)] if self.job_ids else None

    @rule(pick=PICK, stale=st.booleans(), ms=st.integers(0, 5000))
    def complete(self, pick: int, stale: bool, ms: int) -> None:
        claim = self._take(pick, stale)
        if claim is None:
            return
        try:
            self.run(jobs.complete(self.store, claim.job_id, claim.token, duration_ms=ms, output=1))
        except Conflict:
            return
        self.stale.append(claim)  # completing it again must pay nothing

    @rule(pick=PICK, retryable=st.booleans())
    def fail(self, pick: int, retryable: bool) -> None:
        claim = self._take(pick, stale=False)
        if claim is None:
            return
        with contextlib.suppress(Conflict):
            self.run(
                jobs.fail(self.store, claim.job_id, claim.token, error="x", retryable=retryable)
            )
        self.stale.append(claim)

    @rule(pick=PICK)
    def lease_expires(self, pick: int) -> None:
        claim = self._take(pick, stale=False)
        if claim is None:
            return
        # Time passing, without sleeping: the lease's expiry moves into the past.
        self.run(self.store.redis.zadd(self.store.keys.leases, {claim.job_id: 0}, xx=True))
        self.run(jobs.expire_leases(self.store))
        self.stale.append(claim)

    @rule(pick=PICK, to=st.one_of(st.none(), nodes))
    def reassign(self, pick: int, to: str | None) -> None:
        job_id = self._job(pick)
        if job_id:
            with contextlib.suppress(Conflict):
                self.run(jobs.reassign(self.store, job_id, to))

    @rule(pick=PICK)
    def cancel(self, pick: int) -> None:
        job_id = self._job(pick)
        if job_id:
            with contextlib.suppress(Conflict):
                self.run(jobs.cancel(self.store, job_id))

    @rule(pick=PICK)
    def retry(self, pick: int) -> None:
        job_id = self._job(pick)
        if job_id:
            with contextlib.suppress(Conflict):
                self.run(jobs.retry(self.store, job_id))

    @rule(node=nodes, action=st.sampled_from(["offline", "drain", "undrain"]))
    def node_action(self, node: str, action: str) -> None:
        with contextlib.suppress(Conflict):
            self.run(registry.change_status(self.store, node, action))

    @rule(node=nodes)
    def heartbeat(self, node: str) -> None:
        self.run(registry.heartbeat(self.store, node))

    @rule()
    def place(self) -> None:
        self.run(jobs.place_pending(self.store))

    @invariant()
    def books_balance(self) -> None:
        check = self.run(ledger.check(self.store))
        assert check.ok, check.problems

    @invariant()
    def every_job_in_exactly_one_state(self) -> None:
        r = self.store.redis
        where: dict[str, list[str]] = {j: [] for j in self.job_ids}
        for status in JOB_STATUSES:
            for member in self.run(r.zrange(self.store.keys.jobs_with_status(status), 0, -1)):
                where.setdefault(member.decode(), []).append(status)
        found = self.run(jobs.get_jobs(self.store, self.job_ids))
        assert len(found) == len(self.job_ids)
        for job in found:
            assert where[job.job_id] == [job.status]

    @invariant()
    def escrow_holds_exactly_the_open_jobs(self) -> None:
        held = 0
        for job_id in self.job_ids:
            held += int(self.run(self.store.redis.hget(self.store.keys.job(job_id), "held")) or 0)
        assert self.run(ledger.balance(self.store, "escrow")) == held

    @invariant()
    def node_load_matches_its_jobs(self) -> None:
        found = self.run(jobs.get_jobs(self.store, self.job_ids))
        used: dict[str, int] = {}
        for job in found:
            if job.status in ("assigned", "running") and job.assigned_node_id:
                used[job.assigned_node_id] = (
                    used.get(job.assigned_node_id, 0) + job.task.requirements.cpu
                )
        ids, _ = self.run(registry.list_node_ids(self.store, limit=1000))
        for node in self.run(registry.get_nodes(self.store, ids)):
            assert node.load.cpu_used == used.get(node.node_id, 0)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_random_lifecycles_keep_every_invariant(redis_url: str) -> None:
    JobLifecycle.redis_url = redis_url
    runner = JobLifecycle.TestCase
    runner.settings = settings(
        max_examples=25,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    runner().runTest()
