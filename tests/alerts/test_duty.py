"""Alerts end to end against a real Redis and real HTTP receivers on loopback: an item fires
once after its `for` period, is not sent again, resolves, reaches Slack in Slack's format, does
not storm while flapping, and a failing sink is retried without holding up the other."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from core.alerts.duty import AlertDuty
from core.alerts.sinks import NEVER_ENDS, Delivery, Sink
from core.store import Store
from tests.alerts.conftest import FlappingNode, wall_ms
from tests.alerts.receiver import Receiver, receiving
from tests.helpers import register_node

FOR_S, HOLD_S = 30, 120
QUICK = Delivery(timeout_s=5.0, attempts=3, first_wait_s=0.01)


def duty(*sinks: Sink, delivery: Delivery = QUICK) -> AlertDuty:
    return AlertDuty(list(sinks), for_s=FOR_S, hold_s=HOLD_S, queue_age_s=0, delivery=delivery)


def webhook(receiver: Receiver) -> Sink:
    return Sink("webhook", receiver.url, "webhook")


def slack(receiver: Receiver) -> Sink:
    return Sink("slack", receiver.url, "slack")


async def test_fires_after_its_for_period_once_then_resolves(
    store: Store, node: FlappingNode
) -> None:
    t = wall_ms()
    await node.offline()
    with receiving() as hook:
        alerts = duty(webhook(hook))
        try:
            first = await alerts.run(store, t)
            assert (first.seen, first.fired, hook.attempts) == (1, 0, 0)  # pending: not yet
            fired = await alerts.run(store, t + FOR_S * 1000)
            assert fired.fired == 1 and fired.sent == {"webhook": 1}
            [body] = hook.bodies
            assert body["status"] == "firing" and body["version"] == "4"
            [alert] = body["alerts"]
            assert alert["labels"]["alertname"] == "LcnNodeOffline"
            assert alert["labels"]["target"] == node.node_id
            assert alert["labels"]["pool"] == store.pool
            assert alert["endsAt"] == NEVER_ENDS and alert["startsAt"].endswith("+00:00")
            assert "silent for" in alert["annotations"]["summary"]
            # Seen again and again: nothing more is sent (one more orchestrator, too).
            for later in (10, 20, 60):
                again = await alerts.run(store, t + (FOR_S + later) * 1000)
                assert again.sent == {} and again.fired == 0
            other_host = duty(webhook(hook))
            assert (await other_host.run(store, t + (FOR_S + 70) * 1000)).sent == {}
            await other_host.close()
            assert hook.attempts == 1
            # Back online: the resolve goes once the hold since the fire is over.
            await node.online()
            held = await alerts.run(store, t + (FOR_S + 80) * 1000)
            assert held.resolved == 0 and hook.attempts == 1
            done = await alerts.run(store, t + (FOR_S + HOLD_S) * 1000)
            assert done.resolved == 1 and done.sent == {"webhook": 1}
            resolved = hook.bodies[-1]
            assert resolved["status"] == "resolved"
            assert resolved["alerts"][0]["fingerprint"] == alert["fingerprint"]
            assert resolved["alerts"][0]["startsAt"] == alert["startsAt"]
            assert resolved["alerts"][0]["endsAt"] != NEVER_ENDS
            assert (await alerts.run(store, t + (FOR_S + HOLD_S + 10) * 1000)).sent == {}
            # After a further hold the state is gone from Redis.
            await alerts.run(store, t + (FOR_S + 2 * HOLD_S) * 1000)
            assert await store.redis.scard(store.keys.alerts) == 0
            assert hook.attempts == 2
        finally:
            await alerts.close()


async def test_a_blip_shorter_than_for_sends_nothing(store: Store, node: FlappingNode) -> None:
    t = wall_ms()
    with receiving() as hook:
        alerts = duty(webhook(hook))
        try:
            await node.offline()
            await alerts.run(store, t)
            await node.online()
            await alerts.run(store, t + 5_000)
            await node.offline()
            await alerts.run(store, t + FOR_S * 1000)  # seen again, but only just
            assert hook.attempts == 0
            assert await store.redis.scard(store.keys.alerts) == 1  # pending, not firing
        finally:
            await alerts.close()


async def test_slack_gets_its_own_format(store: Store, node: FlappingNode) -> None:
    t = wall_ms()
    await node.offline()
    with receiving() as room, receiving() as hook:
        alerts = duty(slack(room), webhook(hook))
        try:
            await alerts.run(store, t)
            report = await alerts.run(store, t + FOR_S * 1000)
            assert report.sent == {"slack": 1, "webhook": 1}
            [body] = room.bodies
            assert list(body) == ["text"]
            assert body["text"].startswith(":rotating_light: FIRING [medium] LcnNodeOffline")
            assert f"({store.pool})" in body["text"] and "silent for" in body["text"]
            await node.online()
            await alerts.run(store, t + (FOR_S + HOLD_S) * 1000)
            assert room.bodies[-1]["text"].startswith(":white_check_mark: RESOLVED [medium]")
            assert room.attempts == hook.attempts == 2
        finally:
            await alerts.close()


async def test_a_flapping_node_sends_no_storm(store: Store, node: FlappingNode) -> None:
    """Offline and online every 5 s for ~33 minutes of the duty's clock: first faster than the
    `for` period (nothing fires), then staying offline long enough to fire but coming back
    briefly again and again (the hold lets at most one message out per 120 s)."""
    t = wall_ms()
    step_ms = 5_000
    runs = 0
    with receiving() as hook:
        alerts = duty(webhook(hook))
        try:
            for _ in range(100):  # 500 s flapping every run: never seen for 30 s in a row
                await node.offline()
                await alerts.run(store, t + runs * step_ms)
                await node.online()
                await alerts.run(store, t + (runs + 1) * step_ms)
                runs += 2
            assert hook.attempts == 0
            start = runs
            flips = 0
            for i in range(300):  # 1500 s: offline for 8 runs (40 s), online for 1, repeat
                if i % 9 == 0:
                    await node.online()
                    flips += 1
                elif i % 9 == 1:
                    await node.offline()
                    flips += 1
                await alerts.run(store, t + runs * step_ms)
                runs += 1
            span_s = (runs - start) * step_ms // 1000
            notices = len(hook.alerts)
            assert flips >= 60  # the node flapped 60+ times …
            assert 1 <= notices <= span_s // HOLD_S + 1  # … and at most one message per hold
            statuses = [a["status"] for a in hook.alerts]
            assert all(a != b for a, b in itertools.pairwise(statuses))
        finally:
            await alerts.close()


async def test_a_failing_sink_is_retried_and_holds_up_no_other(
    store: Store, node: FlappingNode
) -> None:
    t = wall_ms()
    await node.offline()
    with receiving([500, 502, 503], hold=True) as down, receiving() as room:
        alerts = duty(webhook(down), slack(room))
        try:
            await alerts.run(store, t)
            run = asyncio.create_task(alerts.run(store, t + FOR_S * 1000))
            # Slack has its message while the webhook has not even answered the first try.
            await asyncio.to_thread(room.got.wait, 10)
            await asyncio.to_thread(down.arrived.wait, 10)
            assert len(room.bodies) == 1 and not run.done()
            down.release.set()
            report = await run
            assert down.attempts == 3 and down.bodies == []  # tried three times, all 5xx
            assert report.sent == {"slack": 1}
            assert "webhook failed 3 times; last: HTTP 503" in report.failed["webhook"]
            # The next run skips the webhook while it backs off; Slack is not told twice.
            skipped = await alerts.run(store, t + (FOR_S + 5) * 1000)
            assert skipped.skipped == ["webhook"] and down.attempts == 3 and room.attempts == 1
            # Once the backoff is over it is owed the firing, and takes it.
            later = await alerts.run(store, t + (FOR_S + 60) * 1000)
            assert later.sent == {"webhook": 1} and len(down.alerts) == 1
            assert down.alerts[0]["status"] == "firing" and room.attempts == 1
        finally:
            await alerts.close()


async def test_a_refused_or_unreachable_sink_is_not_hammered(
    store: Store, node: FlappingNode
) -> None:
    """A 4xx is final (one try); a port nobody listens on is tried again, then backed off."""
    t = wall_ms()
    await node.offline()
    with receiving([404]) as wrong, receiving() as room:
        closed = Sink("nowhere", "http://127.0.0.1:9/alerts", "webhook")
        alerts = duty(webhook(wrong), closed, slack(room))
        try:
            await alerts.run(store, t)
            report = await alerts.run(store, t + FOR_S * 1000)
            assert wrong.attempts == 1 and "HTTP 404" in report.failed["webhook"]
            assert "ConnectError" in report.failed["nowhere"]
            assert report.sent == {"slack": 1}
        finally:
            await alerts.close()


@pytest.mark.parametrize("hosts", [2])
async def test_orchestrators_side_by_side_send_once(
    store: Store, node: FlappingNode, hosts: int
) -> None:
    """Two orchestrators whose alert runs start together: the `alerts` lock lets one run, the
    state in Redis keeps the other from sending again afterwards."""
    from core.swarm.orchestrator import Orchestrator, OrchestratorConfig

    await node.offline()
    with receiving() as hook:
        orchestrators = [
            Orchestrator(
                store,
                OrchestratorConfig(),
                alerts=AlertDuty([webhook(hook)], for_s=0, hold_s=HOLD_S, delivery=QUICK),
            )
            for _ in range(hosts)
        ]
        try:
            for _ in range(3):
                for o in orchestrators:
                    o._start_alerts(o.alerts, 0.0)  # type: ignore[arg-type]
                await asyncio.gather(*(o._alerting for o in orchestrators if o._alerting))
            assert hook.attempts == 1 and len(hook.alerts) == 1
        finally:
            for o in orchestrators:
                assert o.alerts is not None
                await o.alerts.close()


async def test_the_orchestrator_runs_the_duty_and_survives_a_dead_sink(
    store: Store, node: FlappingNode
) -> None:
    from core.swarm.orchestrator import Orchestrator, OrchestratorConfig

    await node.offline()
    with receiving() as hook:
        dead = Sink("dead", "http://127.0.0.1:9/", "webhook")
        alerts = AlertDuty([dead, webhook(hook)], for_s=0, hold_s=HOLD_S, delivery=QUICK)
        orchestrator = Orchestrator(
            store, OrchestratorConfig(tick_s=0.02, alert_every_s=0.05), alerts=alerts
        )
        running = asyncio.create_task(orchestrator.run())
        try:
            await asyncio.to_thread(hook.got.wait, 20)
            assert hook.alerts[0]["labels"]["alertname"] == "LcnNodeOffline"
            ticks = orchestrator.ticks
            while orchestrator.ticks < ticks + 5:  # still placing and sweeping
                await asyncio.sleep(0.02)
        finally:
            orchestrator.stop()
            await running
        assert hook.attempts == 1


async def test_alerts_on_a_cluster(cluster_url: str, pool: str, tmp_path: Path) -> None:
    """The states share the pool's slot: the same duty works on a Redis Cluster."""
    from core.config import Settings
    from core.store import connect

    store = await connect(
        Settings(redis_url=cluster_url, pool=pool, redis_cluster=True, data_dir=tmp_path)
    )
    t = wall_ms()
    try:
        flapping = FlappingNode(store, (await register_node(store)).node_id)
        await flapping.offline()
        with receiving() as hook:
            alerts = duty(webhook(hook))
            try:
                await alerts.run(store, t)
                assert (await alerts.run(store, t + FOR_S * 1000)).sent == {"webhook": 1}
                assert (await alerts.run(store, t + (FOR_S + 5) * 1000)).sent == {}
                await flapping.online()
                resolved = await alerts.run(store, t + (FOR_S + HOLD_S) * 1000)
                assert resolved.resolved == 1 and hook.attempts == 2
            finally:
                await alerts.close()
    finally:
        await store.close()


async def test_a_sink_with_a_broken_url_fails_alone(store: Store, node: FlappingNode) -> None:
    t = wall_ms()
    await node.offline()
    with receiving() as hook:
        broken = Sink("broken", "http://[::1/", "webhook")
        alerts = duty(broken, webhook(hook))
        try:
            await alerts.run(store, t)
            report = await alerts.run(store, t + FOR_S * 1000)
            assert "invalid URL" in report.failed["broken"] and report.sent == {"webhook": 1}
        finally:
            await alerts.close()
