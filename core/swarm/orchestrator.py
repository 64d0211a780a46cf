"""The orchestrator: places waiting jobs, sweeps expired leases, silent nodes and stalled
agents, reduces sharded jobs, checks the books, archives finished jobs (core/swarm/archiver.py)
sends alerts (core/alerts/duty.py) and records what the console shows, for replay
(core/swarm/recorder.py).

It keeps no state of its own: every tick reads and changes Redis through scripts. Several
orchestrators may run at once. Placement and reduction are atomic scripts, so running them
twice does no harm; the sweeps take a short `SET NX PX` lock so only one orchestrator does
each at a time and the others skip it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from core import jobs, ledger, registry
from core.alerts.duty import AlertDuty
from core.config import DEFAULT_UNPLACEABLE_GRACE_S, Settings
from core.payments.credit import CreditPolicy, policy_from_env
from core.payments.credit import policy as credit_policy
from core.store import Store, calls
from core.store.series import STATS_BUCKET_MS
from core.swarm import fanout, roster
from core.swarm.archiver import ArchiverDuty
from core.swarm.recorder import RecorderDuty
from core.swarm.retry import STORE_ERRORS, Backoff
from core.tasks import stop_task

if TYPE_CHECKING:
    from core.payments.client import Payments

log = logging.getLogger("lcn.orchestrator")

STATS_WINDOW_BUCKETS = 360  # one hour of 10-second buckets


@dataclass
class OrchestratorConfig:
    tick_s: float = 0.1
    sweep_every_s: float = 1.0
    ledger_check_every_s: float = 30.0
    node_grace_s: float = 60.0
    agent_grace_s: float = 30.0
    unplaceable_grace_s: int = DEFAULT_UNPLACEABLE_GRACE_S  # LCN_UNPLACEABLE_GRACE
    payout_every_s: float = 1.0  # how often the payments outbox is looked at (payments on)
    payout_budget_s: float = 5.0  # at most this long per tick talking to Stripe
    archive_every_s: float = 5.0  # how often finished jobs are moved to the archive
    alert_every_s: float = 10.0  # how often triage items are looked at for alerts


@dataclass
class TickReport:
    placed: int = 0
    requeued: int = 0
    failed: int = 0
    nodes_offline: int = 0
    agents_stalled: int = 0
    reduced: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class Orchestrator:
    def __init__(
        self,
        store: Store,
        config: OrchestratorConfig | None = None,
        payments: Payments | None = None,
        credit: CreditPolicy | None = None,
        archiver: ArchiverDuty | None = None,
        alerts: AlertDuty | None = None,
        recorder: RecorderDuty | None = None,
    ) -> None:
        self.store = store
        self.config = config or OrchestratorConfig()
        self.payments = payments  # None: payments are off, payouts just accrue
        # Whose holds placement may take: with payments, credit must cover them; without, the
        # environment's policy (LCN_CREDIT_LIMIT).
        self.credit = credit or policy_from_env(payments_on=True if payments else None)
        self._last_payouts = 0.0
        self.identity = f"orchestrator-{secrets.token_hex(4)}"
        self._stop = asyncio.Event()
        self._last_sweep = 0.0
        self._last_check = 0.0
        self.archiver = archiver  # None: finished jobs stay in Redis
        self._last_archive = 0.0
        self.alerts = alerts  # None: no alert sink is configured
        self._last_alerts = 0.0
        self._alerting: asyncio.Task[None] | None = None
        self.recorder = recorder  # None: nothing is recorded for replay
        self._last_record = 0.0
        self.ticks = 0

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> Orchestrator:
        from core.payments.client import Payments

        return cls(
            store,
            OrchestratorConfig(
                node_grace_s=settings.node_grace_s,
                agent_grace_s=max(5.0, settings.lease_s),
                unplaceable_grace_s=settings.unplaceable_grace_s,
            ),
            Payments.from_settings(settings),
            credit_policy(settings),
            ArchiverDuty(settings),
            AlertDuty.from_settings(settings),
            RecorderDuty(settings) if settings.record_every_s > 0 else None,
        )

    def stop(self) -> None:
        self._stop.set()

    async def _lock(self, name: str, ttl_s: float) -> bool:
        """One orchestrator at a time does a sweep: the lock expires on its own if we die."""
        key = self.store.keys.lock(name)
        got = await self.store.redis.set(key, self.identity, nx=True, px=max(50, int(ttl_s * 1000)))
        return bool(got)

    async def _unlock(self, name: str) -> None:
        """Let the next run start on time (only our own lock: it may have expired and moved)."""
        key = self.store.keys.lock(name)
        if await self.store.redis.get(key) == self.identity.encode():
            await self.store.redis.delete(key)

    async def tick(self) -> TickReport:
        report = TickReport()
        report.placed = await jobs.place_pending(
            self.store, credit=self.credit, unplaceable_grace_s=self.config.unplaceable_grace_s
        )
        report.reduced = await fanout.reduce_ready(self.store)
        now = time.monotonic()
        if now - self._last_sweep >= self.config.sweep_every_s:
            self._last_sweep = now
            if await self._lock("sweep", self.config.sweep_every_s):
                await self._sweep(report)
        if now - self._last_check >= self.config.ledger_check_every_s:
            self._last_check = now
            if await self._lock("ledger-check", self.config.ledger_check_every_s):
                await self._check_books()
        if self.archiver is not None and now - self._last_archive >= self.config.archive_every_s:
            self._last_archive = now
            # The lock outlives a slow run (a run is at most MAX_BATCHES batches).
            if await self._lock("archiver", max(60.0, self.config.archive_every_s)):
                try:
                    report.extra["archived"] = await self._archive(self.archiver)
                finally:
                    await self._unlock("archiver")
        if self.alerts is not None and now - self._last_alerts >= self.config.alert_every_s:
            self._start_alerts(self.alerts, now)
        recorder = self.recorder
        if recorder is not None and now - self._last_record >= recorder.every_s:
            self._last_record = now
            # One recording per pool per period: the lock is not released, it expires just
            # before the next period, so another orchestrator records if this one stops.
            if await self._lock("recorder", recorder.every_s * 0.9):
                report.extra["recorded"] = await self._record(recorder)
        if self.payments is not None and now - self._last_payouts >= self.config.payout_every_s:
            self._last_payouts = now
            report.extra["payouts"] = await self._dispatch_payouts()
        self.ticks += 1
        return report

    async def _sweep(self, report: TickReport) -> None:
        expired = await jobs.expire_leases(self.store)
        report.requeued, report.failed = expired["requeued"], expired["failed"]
        report.nodes_offline = await registry.sweep_silent(
            self.store, int(self.config.node_grace_s)
        )
        report.agents_stalled = await roster.sweep_stalled(self.store, self.config.agent_grace_s)
        oldest = int(time.time() * 1000) // STATS_BUCKET_MS - STATS_WINDOW_BUCKETS
        await calls.trim_stats(
            self.store,
            oldest,
            [
                "completed",
                "failed",
                "revenue",
                "type:code-execution",
                "type:model-inference",
                "type:data-processing",
            ],
        )

    async def _archive(self, archiver: ArchiverDuty) -> int:
        """Finished jobs to the archive. The archive database being down or refusing must not
        stop payouts and the rest of the tick: it is logged and tried again next time (Redis
        errors still go to the tick's backoff)."""
        try:
            return (await archiver.run(self.store)).archived
        except RedisError:
            raise
        except Exception:  # the database: unreachable, refusing, full disk
            log.exception("archiver run failed; finished jobs stay in Redis until the next run")
            await archiver.close()  # reconnect next time (the database may have restarted)
            return 0

    def _start_alerts(self, duty: AlertDuty, now: float) -> None:
        """On a task of its own: a sink that is slow or down must not hold up placement. A run
        still going (a sink timing out) is left to finish; the next starts after it."""
        if self._alerting is None or self._alerting.done():
            self._last_alerts = now
            self._alerting = asyncio.create_task(self._alert(duty))

    async def _alert(self, duty: AlertDuty) -> None:
        """One alert run under the `alerts` lock, so one orchestrator sends at a time and no
        message goes twice (the lock outlives the longest run). It never raises: Redis away or
        a bug is logged and the next run starts afresh from the states in Redis."""
        try:
            if not await self._lock("alerts", duty.budget_s + 30.0):
                return
            try:
                report = await duty.run(self.store)
                if report.fired or report.resolved:
                    log.info("alerts: %d fired, %d resolved", report.fired, report.resolved)
            finally:
                await self._unlock("alerts")
        except STORE_ERRORS as exc:
            log.warning("alert run failed (%s); trying again next time", exc)
        except Exception:
            log.exception("alert run crashed; trying again next time")

    async def _record(self, recorder: RecorderDuty) -> int:
        """One recording. Like the archiver, a database that is down or refusing is logged and
        tried again next period, never stopping the tick; Redis errors go to its backoff."""
        try:
            return (await recorder.run(self.store)).stored_bytes
        except RedisError:
            raise
        except Exception:  # the database: unreachable, refusing, full disk
            log.exception("recording failed; the next one is tried in %.0f s", recorder.every_s)
            await recorder.close()  # reconnect next time (the database may have restarted)
            return 0

    async def _dispatch_payouts(self) -> int:
        """Send due payouts and refunds to Stripe (core/payments/dispatch.py)."""
        from core.payments.dispatch import dispatch_due

        return await dispatch_due(self.store, self.payments, budget_s=self.config.payout_budget_s)

    async def _check_books(self) -> None:
        """The console's triage shows the last result, and payouts stop while it says the books
        hold money it cannot prove (unbalanced, off the journal, or an unproven posting); a
        discrepancy is loud in the log."""
        result = await ledger.check(self.store)
        await ledger.record_check(self.store, result)
        if not result.ok:
            log.error("ledger check failed: %s", " ".join(result.problems))
        for posting in result.unproven:
            log.error(
                "unproven posting %s (%s, %s): %s",
                posting.posting_id,
                posting.idem,
                posting.kind,
                posting.reason,
            )

    async def run(self) -> None:
        """Tick until stopped; a store failure (Redis down, full, read-only, failing over) is
        waited out with jittered backoff, never fatal."""
        trouble = Backoff(first_s=max(0.05, self.config.tick_s), max_s=5.0)
        while not self._stop.is_set():
            try:
                report = await self.tick()
                trouble.reset()
                wait = self.config.tick_s
                busy = report.placed or report.reduced
            except STORE_ERRORS as exc:
                wait = trouble.next_wait()
                log.warning("orchestrator tick failed (%s); retrying in %.1f s", exc, wait)
                busy = False
            except Exception:
                # A bug in one duty must not stop placement and sweeps for everyone: log it
                # loudly and keep ticking (the state is in Redis; the next tick starts afresh).
                wait = trouble.next_wait()
                log.exception("orchestrator tick crashed; retrying in %.1f s", wait)
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=wait)
        await stop_task(self._alerting)
        if self.alerts is not None:
            await self.alerts.close()
        if self.archiver is not None:
            await self.archiver.close()
        if self.recorder is not None:
            await self.recorder.close()
