"""`lcn bench …`: benchmarks that print figures and ratios against a baseline measured in the
same run. Nothing here asserts; the figures go in closing notes and the README."""

from __future__ import annotations

import asyncio
import json

import typer

from console.cli.common import Context

bench_app = typer.Typer(help="Measure the network's speed against baselines.", no_args_is_help=True)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("give sizes as whole numbers separated by commas") from None
    if not sizes or any(not 1 <= s <= 1_000_000 for s in sizes):
        raise typer.BadParameter("each size must be between 1 and 1,000,000")
    return sizes


@bench_app.command("scheduler")
def scheduler(
    nodes: str = typer.Option("1000,10000,100000", help="Fleet sizes to measure."),
    placements: int = typer.Option(5000, min=100, max=200_000, help="Placements per size."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Placements/s and p50/p99 latency, against the naive scan-every-node algorithm."""
    from core.bench.scheduler import render, run_scheduler_bench

    report = asyncio.run(run_scheduler_bench(Context.settings(), _sizes(nodes), placements))
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))
