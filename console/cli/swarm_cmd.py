"""`lcn orchestrator` and `lcn demo`."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal

import typer

from console.cli.common import Context, run
from core.store import Store


def orchestrator() -> None:
    """Place pending jobs, sweep leases, nodes and agents, reduce shards, check the books,
    archive finished jobs and send alerts (LCN_ALERT_WEBHOOK, LCN_ALERT_SLACK)."""
    from core.swarm.orchestrator import Orchestrator

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Context.settings()

    async def main(store: Store) -> None:
        orch = Orchestrator.from_settings(store, settings)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, orch.stop)
        typer.echo(f"orchestrator {orch.identity} on pool {store.pool}")
        if orch.alerts is not None:
            typer.echo("alerts to " + ", ".join(sink.name for sink in orch.alerts.sinks))
        await orch.run()

    run(main, settings)


def demo(
    headless: bool = typer.Option(False, "--headless", help="No console; print a summary."),
    duration: float = typer.Option(120.0, "--duration", min=5, max=86_400, help="Seconds."),
    nodes: int = typer.Option(14, "--nodes", min=1, max=200),
    fleet: str = typer.Option("redis", "--fleet", help="How nodes connect: redis or http."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run the whole network on the embedded Redis and open the console on it.

    An orchestrator, a world-wide fleet of nodes and agents, a job generator and a Stripe
    stand-in; with --headless, a summary after --duration seconds instead of the console.
    """
    from console.devkit.demo import DemoConfig, render_summary, run_demo

    if fleet not in ("redis", "http"):
        from console.cli.common import fail

        fail("--fleet is redis or http.")
    settings = Context.settings()
    if Context.pool is None and "LCN_POOL" not in os.environ:
        # The demo resets its pool: never the default one, unless asked for by name.
        settings = settings.model_copy(update={"pool": "demo"})
    config = DemoConfig(duration_s=duration, nodes=nodes, fleet=fleet, headless=headless)
    summary = run(lambda store: run_demo(store, settings, config), settings)
    if json_out:
        typer.echo(json.dumps(summary, indent=2))
    else:
        typer.echo(render_summary(summary))
