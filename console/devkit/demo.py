"""`lcn demo`: the whole network in one process on the embedded Redis.

An orchestrator, a world-wide fleet of nodes with real keys registered by challenge–response,
agents with different specialisations really executing jobs, and a generator that keeps them
busy. With a console it opens the console over the running network; headless it runs for a
fixed time and returns a summary measured from Redis (not from the generator's own counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core import ledger, registry, status
from core.config import Settings
from core.devkit.bench.fleet import drop_pool
from core.devkit.demo_jobs import next_job
from core.devkit.demo_money import DemoMoney, start_demo_money
from core.errors import InvalidInput, LcnError
from core.identity import new_key
from core.money import micro_to_json
from core.payments.summary import earnings_summary
from core.store import Store
from core.submission import submit
from core.swarm.connect import connect
from core.swarm.executors.policy import node_sandbox
from core.swarm.link import NodeLink
from core.swarm.node_runner import NodeRunner, NodeRunnerConfig, agent_configs
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from core.swarm.provider import capabilities_for
from core.swarm.recorder import RecorderDuty

CITIES = [
    ("us-east-1", 40.71, -74.01),
    ("sa-east-1", -23.55, -46.63),
    ("eu-west-2", 51.51, -0.13),
    ("eu-central-1", 50.11, 8.68),
    ("af-west-1", 6.52, 3.38),
    ("af-east-1", -1.29, 36.82),
    ("ap-south-1", 19.08, 72.88),
    ("ap-southeast-1", 1.35, 103.82),
    ("ap-northeast-1", 35.68, 139.69),
    ("ap-southeast-2", -33.87, 151.21),
    ("ap-northeast-2", 37.57, 126.98),
    ("ca-central-1", 43.65, -79.38),
    ("us-west-1", 37.77, -122.42),
    ("eu-north-1", 59.33, 18.07),
    ("me-central-1", 25.2, 55.27),
    ("af-south-1", -26.2, 28.05),
]
SPECIALISATIONS = [
    ["code-execution", "model-inference", "data-processing"],
    ["code-execution"],
    ["model-inference"],
    ["data-processing"],
    ["code-execution", "data-processing"],
]
CREDIT_PER_CREATOR = 1_000_000_000  # $1,000 of prepaid compute each
PAYOUT_EVERY_S = 20.0
log = logging.getLogger("lcn.demo")
CREATORS = ["0x" + f"{i:02x}" * 20 for i in (0xA1, 0xB2, 0xC3, 0xD4)]


@dataclass
class DemoConfig:
    duration_s: float = 120.0
    nodes: int = 14
    agents_per_node: int = 2
    fleet: str = "redis"
    headless: bool = True
    seed: int = 42
    reset: bool = True


async def start_fleet(
    store: Store,
    settings: Settings,
    config: DemoConfig,
    rng: random.Random,
    gateway_url: str | None = None,
) -> list[tuple[NodeRunner, NodeLink]]:
    runners: list[tuple[NodeRunner, NodeLink]] = []
    # The demo's nodes sandbox their jobs like real ones; on a host that cannot, they take no
    # code jobs (the demo's other jobs still run), exactly as `lcn node run` would.
    sandbox = await asyncio.to_thread(node_sandbox)
    if sandbox.reason:
        log.warning("demo nodes run without the sandbox: %s", sandbox.reason)
    for i in range(config.nodes):
        region, lat, lon = CITIES[i % len(CITIES)]
        kinds = SPECIALISATIONS[i % len(SPECIALISATIONS)]
        caps = capabilities_for(
            kinds,
            cpu=rng.choice([8, 16, 32, 64]),
            memory_gb=Decimal(rng.choice([32, 64, 128, 256])),
            gpu=i % 3 != 1,
            sandbox=sandbox,
        )
        pricing: dict[str, object] = {
            "cpuPerSecond": str(Decimal(rng.randint(800, 1500)) / 1_000_000),
            "memoryPerGB": str(Decimal(rng.randint(40, 60)) / 1000),
        }
        key = new_key()
        location = {"region": region, "lat": lat, "lon": lon}
        node, link = await connect(
            key,
            capabilities=caps,
            location=location,
            pricing=pricing,
            gateway_url=str(gateway_url) if config.fleet == "http" else None,
            store=store,
        )
        agents = agent_configs(
            node.node_id,
            config.agents_per_node,
            kinds,
            list(node.capabilities.models),
            float(settings.lease_s),
            sandbox.policy,
        )
        runners.append((NodeRunner(link, agents, NodeRunnerConfig(grace_s=5.0)), link))
    return runners


@contextlib.asynccontextmanager
async def http_gateway(store: Store, settings: Settings) -> AsyncIterator[str]:
    """A gateway on a free loopback port for the `--fleet http` demo: nodes join, claim and
    report through the published HTTP API instead of Redis."""
    import socket

    import uvicorn

    from core.gateway.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, store=store), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task  # raises what stopped it
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def generate(
    store: Store,
    settings: Settings,
    stop: asyncio.Event,
    rng: random.Random,
    max_in_flight: int,
    money: DemoMoney | None = None,
) -> int:
    """Keep the swarm busy without flooding it: top the queue up to `max_in_flight`."""
    submitted = 0
    while not stop.is_set():
        health = await status.health(store)
        waiting = sum(health.jobs_by_status.get(s, 0) for s in ("pending", "assigned", "running"))
        for _ in range(max(0, max_in_flight - waiting)):
            body = next_job(rng, CREATORS)
            try:
                await submit(
                    store, body, max_attempts=settings.max_attempts, payments_on=money is not None
                )
            except InvalidInput:
                # Out of prepaid credit: the creator buys more, as a real one would.
                if money is None:
                    raise
                await money.buy_credit(body.creator_pkp, CREDIT_PER_CREATOR)
                continue
            submitted += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.1)
    return submitted


async def summarise(store: Store, started: float, submitted: int, agents: int) -> dict[str, Any]:
    health = await status.health(store)
    totals = await store.redis.hgetall(store.keys.totals)
    node_earnings = int(totals.get(b"node_earnings", 0))
    platform = int(totals.get(b"platform_revenue", 0))
    check = await ledger.check(store)
    completed = health.jobs_by_status["completed"]
    money = await earnings_summary(store, payments_enabled=True)
    return {
        "pool": store.pool,
        "durationSeconds": round(time.monotonic() - started, 1),
        "nodesRegistered": health.nodes,
        "agents": agents,
        "jobsSubmitted": submitted,
        "jobsCompleted": completed,
        "jobsFailed": health.jobs_by_status["failed"],
        "jobsStillOpen": sum(health.jobs_by_status[s] for s in ("pending", "assigned", "running")),
        "nodeOperatorsEarnedUsd": micro_to_json(node_earnings),
        "platformRevenueUsd": micro_to_json(platform),
        "creditsBoughtUsd": micro_to_json(money.credits_sold_micro_usd),
        "paidOutUsd": micro_to_json(money.payouts.paid_micro_usd),
        "payoutsPaid": money.payouts.paid,
        "ledgerBalanced": check.ok,
        "targetsMet": {
            "nodes10": health.nodes >= 10,
            "jobs100": completed >= 100,
            "earned100Usd": node_earnings >= 100_000_000,
        },
    }


async def open_console(settings: Settings) -> None:
    """The console over the running network, in this event loop so the fleet keeps working.
    Imported late, so a headless demo never loads Textual."""
    from console.app import LcnConsole

    await LcnConsole(settings).run_async()


async def run_demo(store: Store, settings: Settings, config: DemoConfig) -> dict[str, Any]:
    rng = random.Random(config.seed)
    if config.reset:
        await drop_pool(store)
    async with contextlib.AsyncExitStack() as stack:
        gateway_url = None
        if config.fleet == "http":
            gateway_url = await stack.enter_async_context(http_gateway(store, settings))
        return await _run(store, settings, config, rng, gateway_url)


async def _run(
    store: Store,
    settings: Settings,
    config: DemoConfig,
    rng: random.Random,
    gateway_url: str | None,
) -> dict[str, Any]:
    started = time.monotonic()
    # The money flow is real too: a Stripe stand-in on loopback, creators buying credit through
    # Checkout, nodes onboarded to Connect, payouts sent by the orchestrator.
    money = await start_demo_money(store, settings)
    try:
        for creator in CREATORS:
            await money.buy_credit(creator, CREDIT_PER_CREATOR)
        orchestrator = Orchestrator(
            store,
            OrchestratorConfig(node_grace_s=settings.node_grace_s),
            payments=money.payments,
            # Recorded like a real pool: `lcn console --replay` plays the demo back afterwards.
            recorder=RecorderDuty(settings) if settings.record_every_s > 0 else None,
        )
        orch_task = asyncio.create_task(orchestrator.run())
        fleet = await start_fleet(store, settings, config, rng, gateway_url)
        await money.onboard([link.node_id for _, link in fleet])
        stop = asyncio.Event()
        fleet_tasks = [asyncio.create_task(runner.run(stop)) for runner, _ in fleet]
        agents = sum(len(runner.agents) for runner, _ in fleet)
        generator = asyncio.create_task(generate(store, settings, stop, rng, 2 * agents, money))
        payer = asyncio.create_task(pay_out_now_and_then(money, stop))
        try:
            if config.headless:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=config.duration_s)
            else:
                await open_console(money.settings)
        finally:
            stop.set()
            submitted = await generator
            await asyncio.gather(*fleet_tasks, return_exceptions=True)
            for _, link in fleet:
                await link.close()
            await take_fleet_offline(store, [link.node_id for _, link in fleet])
            await payer
            # Let the orchestrator place, reduce and pay out what the last completions left.
            await orchestrator.tick()
            orchestrator.stop()
            await orch_task
        return await summarise(store, started, submitted, agents)
    finally:
        await money.close()


async def take_fleet_offline(store: Store, node_ids: list[str]) -> None:
    """The demo's nodes are gone when it ends: each is marked offline (not held, so a node that
    comes back with the same key is active again), which hands back any job the orchestrator
    placed on it while the fleet was stopping, so no node stays busy and no job stays running."""
    for node_id in node_ids:
        with contextlib.suppress(LcnError):  # already offline: nothing left to hand back
            await registry.change_status(store, node_id, "offline")


async def pay_out_now_and_then(money: DemoMoney, stop: asyncio.Event) -> None:
    """Node operators are paid what they have earned every PAYOUT_EVERY_S seconds."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=PAYOUT_EVERY_S)
        try:
            await money.pay_out()
        except LcnError as exc:  # a refused payout is the demo's news, not its end
            log.warning("demo payout refused: %s", exc)


def render_summary(summary: dict[str, Any]) -> str:
    met = summary["targetsMet"]
    tick = {True: "✓", False: "✗"}
    return "\n".join(
        [
            f"lcn demo — pool {summary['pool']}, {summary['durationSeconds']} s",
            f"  nodes registered     {summary['nodesRegistered']:>10}  {tick[met['nodes10']]} 10+",
            f"  agents               {summary['agents']:>10}",
            f"  jobs completed       {summary['jobsCompleted']:>10}  {tick[met['jobs100']]} 100+",
            f"  jobs failed          {summary['jobsFailed']:>10}",
            f"  jobs still open      {summary['jobsStillOpen']:>10}",
            f"  node operators earned ${summary['nodeOperatorsEarnedUsd']:>9,.2f}  "
            f"{tick[met['earned100Usd']]} $100+",
            f"  platform revenue     ${summary['platformRevenueUsd']:>9,.2f}",
            f"  credit bought        ${summary['creditsBoughtUsd']:>9,.2f}  (Stripe stand-in)",
            f"  paid out to nodes    ${summary['paidOutUsd']:>9,.2f}  "
            f"({summary['payoutsPaid']} transfers)",
            f"  ledger balanced      {'yes' if summary['ledgerBalanced'] else 'NO':>10}",
        ]
    )
