"""One alert run, as an orchestrator duty (core/swarm/orchestrator.py runs it every few seconds
under the `alerts` lock, so several orchestrators never send the same message twice):

1. read what pages: the triage (and Redis's memory) in one pipelined round trip;
2. step each alert's state (core/alerts/machine.py) and save them all;
3. tell each sink what it is owed, all sinks at once, each on its own: a firing it has not had,
   a resolve of a firing it had. What a sink took is recorded, so nothing is sent twice; what
   it did not take is owed again next run, after that sink's own backoff.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import httpx

from core.alerts import state as stored
from core.alerts.alert import alerts_of
from core.alerts.machine import AlertState, finished, owed, step
from core.alerts.sinks import Delivery, Notice, Sink, SinkFailed, post, sinks_of
from core.config import Settings
from core.reads.batch import ReadBatch
from core.reads.memory import memory_read
from core.reads.triage import Triage, triage_read, with_memory
from core.store import Store

log = logging.getLogger("lcn.alerts")

TRIAGE_LIMIT = 200  # items of each kind read per run: more look resolved (a bound, not a page)
TRIAGE_BUDGET = 2000  # offline nodes and agents examined per run
GIVE_UP_MS = 86_400_000  # a resolve no sink took in a day is dropped with its state
SINK_BACKOFF_MS = (30_000, 600_000)  # a failed sink is skipped for 30 s, doubling up to 10 min


@dataclass
class AlertReport:
    seen: int = 0  # items that page, seen this run
    fired: int = 0
    resolved: int = 0
    sent: dict[str, int] = field(default_factory=dict)  # sink → notices it took
    failed: dict[str, str] = field(default_factory=dict)  # sink → why it did not
    skipped: list[str] = field(default_factory=list)  # sinks in their backoff


@dataclass
class _SinkHealth:
    failures: int = 0
    until_ms: int = 0


class AlertDuty:
    def __init__(
        self,
        sinks: list[Sink],
        *,
        for_s: float = 60.0,
        hold_s: float = 300.0,
        queue_age_s: int = 300,
        delivery: Delivery | None = None,
    ) -> None:
        if len({s.name for s in sinks}) != len(sinks):
            raise ValueError("alert sinks need distinct names")
        self.sinks = sinks
        self.for_ms = int(for_s * 1000)
        self.hold_ms = int(hold_s * 1000)
        self.queue_age_s = queue_age_s
        self.delivery = delivery or Delivery()
        self._client: httpx.AsyncClient | None = None
        self._health = {s.name: _SinkHealth() for s in sinks}

    @classmethod
    def from_settings(cls, settings: Settings) -> AlertDuty | None:
        """The duty for LCN_ALERT_WEBHOOK / LCN_ALERT_SLACK; None when neither is set."""
        sinks = sinks_of(settings.alert_webhook, settings.alert_slack)
        if not sinks:
            return None
        return cls(
            sinks,
            for_s=settings.alert_for_s,
            hold_s=settings.alert_hold_s,
            queue_age_s=settings.alert_queue_age_s,
        )

    @property
    def budget_s(self) -> float:
        """The longest a run can take (every attempt timing out, every wait at its longest):
        the orchestrator's lock outlives it."""
        how = self.delivery
        waits = sum(min(10.0, how.first_wait_s * 2.0**i) for i in range(how.attempts - 1))
        return float(how.attempts * how.timeout_s + waits + 10.0)

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                headers={"User-Agent": "lcn-alerts"}, follow_redirects=False
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def read(self, store: Store, now_ms: int) -> Triage:
        batch = ReadBatch(store)
        triage = batch.add(
            triage_read(store, now_ms, TRIAGE_LIMIT, TRIAGE_BUDGET, self.queue_age_s)
        )
        memory = memory_read(store)
        if memory is not None:
            batch.add(memory)
        found = await batch.run()
        return with_memory(found[triage], found.get(memory))

    async def run(self, store: Store, now_ms: int | None = None) -> AlertReport:
        now = int(time.time() * 1000) if now_ms is None else now_ms
        report = AlertReport()
        seen = alerts_of(await self.read(store, now), store.pool, now)
        report.seen = len(seen)
        before = await stored.load(store)
        states: dict[str, AlertState] = {}
        for fp in before.keys() | seen.keys():
            old = before.get(fp)
            new = step(old, seen.get(fp), now, self.for_ms, self.hold_ms)
            if new is None:
                continue
            if new.status != (old.status if old else None):
                report.fired += new.status == "firing"
                report.resolved += new.status == "resolved"
            states[fp] = new
        await stored.save(store, states, before.keys() - states.keys())
        told = await asyncio.gather(
            *(self._tell(store, sink, states, now, report) for sink in self.sinks),
            return_exceptions=True,
        )
        for outcome in told:  # every sink had its turn; now Redis's refusal, if any, is raised
            if isinstance(outcome, BaseException):
                raise outcome
        names = [s.name for s in self.sinks]
        done = {fp for fp, s in states.items() if finished(s, names, now, self.hold_ms, GIVE_UP_MS)}
        if done:
            await stored.save(store, {}, done)
        return report

    async def _tell(
        self,
        store: Store,
        sink: Sink,
        states: dict[str, AlertState],
        now: int,
        report: AlertReport,
    ) -> None:
        """Deliver to one sink what it is owed; never raises (its failure is its own)."""
        due = {fp: s for fp, s in states.items() if owed(s, sink.name)}
        if not due:
            return
        health = self._health[sink.name]
        if now < health.until_ms:
            report.skipped.append(sink.name)
            return
        notices = [
            Notice(s.alert, "firing", s.fired)
            if s.status == "firing"
            else Notice(s.alert, "resolved", s.fired, s.resolved)
            for s in due.values()
        ]
        try:
            await post(self.client(), sink, sink.body(notices, store.pool), self.delivery)
        except (SinkFailed, httpx.HTTPError) as exc:
            health.failures += 1
            first, longest = SINK_BACKOFF_MS
            health.until_ms = now + min(longest, first * 2 ** (health.failures - 1))
            report.failed[sink.name] = str(exc)
            log.warning("alert sink %s: %s; trying again in %d s", sink.name, exc,
                        (health.until_ms - now) // 1000)  # fmt: skip
            return
        health.failures, health.until_ms = 0, 0
        await stored.mark_sent(store, {fp: s.episode for fp, s in due.items()}, sink.name)
        for s in due.values():
            s.sent[sink.name] = s.episode  # so this run's clean-up sees it
        report.sent[sink.name] = len(due)


async def send_test(settings: Settings, pool: str, now_ms: int | None = None) -> dict[str, str]:
    """`lcn alerts test`: one firing test alert to every configured sink; sink → "ok" or why
    it failed."""
    from core.alerts.alert import Alert, fingerprint

    now = int(time.time() * 1000) if now_ms is None else now_ms
    alert = Alert(
        fingerprint=fingerprint(pool, "test", "lcn alerts test"),
        name="LcnTestAlert",
        kind="test",
        severity="low",
        target="lcn alerts test",
        pool=pool,
        summary="A test alert from `lcn alerts test`: nothing is wrong.",
        since_ms=now,
    )
    results: dict[str, str] = {}
    async with httpx.AsyncClient(headers={"User-Agent": "lcn-alerts"}) as client:

        async def one(sink: Sink) -> None:
            body = sink.body([Notice(alert, "firing", now)], pool)
            try:
                await post(client, sink, body, Delivery())
                results[sink.name] = "ok"
            except (SinkFailed, httpx.HTTPError) as exc:
                results[sink.name] = str(exc)

        sinks = sinks_of(settings.alert_webhook, settings.alert_slack)
        await asyncio.gather(*(one(s) for s in sinks))
    return {s.name: results[s.name] for s in sinks_of(settings.alert_webhook, settings.alert_slack)}
