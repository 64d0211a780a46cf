"""`lcn bench gateway`: requests per second and p50/p99 latency of submit + get through a real
gateway process on loopback (see core/devkit/bench/gateway.py)."""

from __future__ import annotations

import asyncio
import json

import typer

from console.cli.bench import bench_app
from console.cli.common import Context


def gateway(
    concurrency: int = typer.Option(16, min=1, max=1024, help="Requests in flight at once."),
    seconds: float = typer.Option(10.0, min=0.5, max=600, help="How long to measure."),
    max_requests: int = typer.Option(200_000, min=2, help="Stop after this many requests."),
    gateway_workers: int = typer.Option(1, min=1, max=16, help="uvicorn workers of the gateway."),
    client: str = typer.Option(
        "raw", help="Load generator: raw (minimal HTTP/1.1, default) or httpx."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Submit + get requests/s and p50/p99 latency under a fixed concurrency."""
    from core.devkit.bench.gateway import render, run_gateway_bench

    if client not in ("raw", "httpx"):
        raise typer.BadParameter("choose raw or httpx", param_hint="--client")
    report = asyncio.run(
        run_gateway_bench(
            Context.settings(),
            concurrency=concurrency,
            seconds=seconds,
            max_requests=max_requests,
            gateway_workers=gateway_workers,
            client=client,
        )
    )
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))


def register() -> None:
    bench_app.command("gateway")(gateway)
