"""An agent: a worker on a node that claims jobs of its specialisations, keeps their leases
alive while it works, and reports the outcome.

The lease is the agent's right to report. A heartbeat refused (the job was reassigned,
cancelled or its lease expired) stops the work at once and drops the result: the fenced
report would be refused anyway, and the job is someone else's now.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from core.errors import Conflict
from core.swarm.executors import ExecutionError, ExecutionOutcome
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.executors.worker import JobWorker
from core.swarm.link import NodeLink
from core.swarm.log_stream import LogStream
from core.swarm.retry import STORE_ERRORS, STORE_ERRORS_OR_REFUSALS, Backoff
from core.swarm.work import execute
from core.wire.leases import ClaimedJob

log = logging.getLogger("lcn.agent")

T = TypeVar("T")

IDLE_WAIT_MIN_S = 0.02
IDLE_WAIT_MAX_S = 0.5


@dataclass
class AgentConfig:
    agent_id: str
    specialisations: list[str]
    models: list[str] = field(default_factory=list)
    lease_s: float = 30.0
    sandbox: SandboxPolicy = field(default_factory=SandboxPolicy)


@dataclass
class AgentStats:
    done: int = 0
    failed: int = 0
    lost: int = 0  # leases lost to reassignment, cancel or expiry
    store_errors: int = 0  # store failures waited out


class Agent:
    def __init__(self, link: NodeLink, config: AgentConfig) -> None:
        self.link = link
        self.config = config
        self.stats = AgentStats()
        self._stopping = asyncio.Event()
        self.current: ClaimedJob | None = None
        self.worker = JobWorker(config.sandbox)  # for model and data jobs, started on demand

    def stop(self) -> None:
        """Finish the current job, then stop claiming."""
        self._stopping.set()

    async def run(self) -> None:
        """Claim and work until stopped. A store that fails (Redis restarted, full, failing
        over; the gateway unreachable) is waited out with jittered backoff, never fatal."""
        cfg = self.config
        registered = False
        wait = IDLE_WAIT_MIN_S
        last_report = 0.0
        trouble = Backoff(first_s=0.1, max_s=max(1.0, min(10.0, cfg.lease_s / 3)))
        try:
            while not self._stopping.is_set():
                try:
                    if not registered:
                        await self.link.register_agent(
                            cfg.agent_id, cfg.specialisations, cfg.models
                        )
                        registered = True
                    claim = await self.link.claim(cfg.agent_id, cfg.specialisations, cfg.lease_s)
                    trouble.reset()
                    if claim is None:
                        if time.monotonic() - last_report > cfg.lease_s / 3:
                            await self.link.agent_report(cfg.agent_id, "idle")
                            last_report = time.monotonic()
                        await self._idle(wait)
                        wait = min(IDLE_WAIT_MAX_S, wait * 2)
                        continue
                    wait = IDLE_WAIT_MIN_S
                    await self.work_on(claim)
                    last_report = time.monotonic()
                except STORE_ERRORS as exc:
                    self.stats.store_errors += 1
                    pause = trouble.next_wait()
                    log.warning(
                        "agent %s: the store failed (%s); retrying in %.1f s",
                        cfg.agent_id,
                        exc,
                        pause,
                    )
                    await self._idle(pause)
        finally:
            await self.worker.close()
            try:
                await self.link.agent_report(cfg.agent_id, "stopped")
            except STORE_ERRORS_OR_REFUSALS as exc:  # the network may be the reason we stop
                log.warning("agent %s could not report stopping: %s", cfg.agent_id, exc)

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def work_on(self, claim: ClaimedJob) -> None:
        cfg = self.config
        self.current = claim
        try:
            await self.link.agent_report(cfg.agent_id, "working", claim.job_id)
        except STORE_ERRORS as exc:  # the roster's view only: the job is ours, run it
            log.warning("agent %s could not report working: %s", cfg.agent_id, exc)
        lost = asyncio.Event()
        keeper = asyncio.create_task(self._keep_lease(claim, lost))
        # The job's output lines go out while it runs, for operators following its log.
        stream = LogStream(self.link, claim.job_id, claim.token)
        started = time.monotonic()
        try:
            outcome = await execute(claim, lost, self.config.sandbox, self.worker, stream.line)
        except ExecutionError as exc:
            outcome = ExecutionOutcome(
                ok=False, output=None, logs=[], error=str(exc), duration_ms=0
            )
        except Exception as exc:  # a bug or a broken node: the job is not at fault
            log.exception("agent %s crashed on %s", cfg.agent_id, claim.job_id)
            keeper.cancel()
            await self._report_fail(claim, f"The agent failed: {exc}.", [], retryable=True)
            return
        finally:
            keeper.cancel()
            await stream.close()  # before the report, which writes the whole log
            self.current = None
        if lost.is_set():
            self.stats.lost += 1
            await self.link.agent_report(cfg.agent_id, "idle")
            return
        duration_ms = outcome.duration_ms or int((time.monotonic() - started) * 1000)
        if outcome.ok:
            try:
                await self._while_leased(
                    lambda: self.link.complete(
                        claim.job_id,
                        claim.token,
                        duration_ms=duration_ms,
                        output=outcome.output,
                        logs=outcome.logs,
                    )
                )
                self.stats.done += 1
                await self.link.agent_report(cfg.agent_id, "idle", "", "done")
            except Conflict:
                self.stats.lost += 1
        else:
            # The job's own code failed (exit code, timeout, a limit): billed for the time it ran.
            await self._report_fail(
                claim,
                outcome.error or "The job failed.",
                outcome.logs,
                retryable=False,
                duration_ms=duration_ms,
            )

    async def _report_fail(
        self,
        claim: ClaimedJob,
        error: str,
        logs: list[str],
        *,
        retryable: bool,
        duration_ms: int | None = None,
    ) -> None:
        try:
            await self._while_leased(
                lambda: self.link.fail(
                    claim.job_id,
                    claim.token,
                    error=error,
                    logs=logs,
                    retryable=retryable,
                    duration_ms=duration_ms,
                )
            )
            self.stats.failed += 1
            await self.link.agent_report(self.config.agent_id, "idle", "", "failed")
        except Conflict:
            self.stats.lost += 1

    async def _while_leased(self, send: Callable[[], Awaitable[T]]) -> T:
        """Send an outcome, retrying a failing store for as long as the lease may hold: a result
        is worth keeping through a Redis restart. After that the job has been requeued and the
        report would be refused, so the error goes up (and the run loop waits it out)."""
        give_up = time.monotonic() + self.config.lease_s
        trouble = Backoff(first_s=0.05, max_s=2.0)
        while True:
            try:
                return await send()
            except STORE_ERRORS as exc:
                pause = trouble.next_wait()
                if time.monotonic() + pause > give_up:
                    raise
                log.warning("report failed (%s); retrying in %.1f s", exc, pause)
                await asyncio.sleep(pause)

    async def _keep_lease(self, claim: ClaimedJob, lost: asyncio.Event) -> None:
        """Extend the lease at a third of its length; a refusal means the job is gone."""
        interval = max(0.05, self.config.lease_s / 3)
        # Until the job is no longer this agent's, not only until cancelled (a cancellation
        # that comes back from a store call as an error is retried: see
        # NodeRunner._heartbeat): a keeper that outlived its job would hold a lease nobody uses.
        while self.current is claim:
            await asyncio.sleep(interval)
            if self.current is not claim:
                return
            try:
                await self.link.extend(claim.job_id, claim.token, self.config.lease_s)
            except Conflict:
                lost.set()
                return
            except STORE_ERRORS_OR_REFUSALS as exc:
                # A passing fault: keep trying until the lease really runs out.
                log.warning("lease extension for %s failed: %s", claim.job_id, exc)

    async def hand_back_current(self, reason: str) -> None:
        claim = self.current
        if claim is not None:
            with contextlib.suppress(Conflict):
                await self.link.hand_back(claim.job_id, claim.token, reason)
