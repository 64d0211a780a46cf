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
    from core.devkit.bench.scheduler import render, run_scheduler_bench

    report = asyncio.run(run_scheduler_bench(Context.settings(), _sizes(nodes), placements))
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))


@bench_app.command("pipeline")
def pipeline(
    jobs: int = typer.Option(5000, "--jobs", min=100, max=1_000_000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """No-op jobs through the core end to end, against RQ and arq on the same Redis."""
    from core.devkit.bench.pipeline import add_rq, render, run_pipeline_bench

    report = add_rq(asyncio.run(run_pipeline_bench(Context.settings(), jobs)))
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))


@bench_app.command("endurance")
def endurance(
    jobs: int = typer.Option(100_000, "--jobs", min=100, max=10_000_000),
    retention: int = typer.Option(
        5, "--retention", min=0, max=86_400, help="Seconds finished jobs stay in Redis."
    ),
    no_archiver: bool = typer.Option(
        False, "--no-archiver", help="Keep every finished job in Redis (the comparison)."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """N no-op jobs with a short retention window and the archiver running: Redis memory,
    archive size, ledger check time and submit p99 every N/10 jobs, and how they grew."""
    from core.devkit.bench.endurance import render, run_endurance_bench

    report = asyncio.run(
        run_endurance_bench(
            Context.settings(), jobs, window_s=retention, archiver_on=not no_archiver
        )
    )
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))


@bench_app.command("swarm")
def swarm(
    agents: str = typer.Option("1,5,10", help="Agent counts to compare."),
    jobs: int = typer.Option(30, "--jobs", min=1, max=10_000),
    wait: float = typer.Option(0.5, "--wait", min=0.0, max=10.0, help="Seconds each job waits."),
    runs: int = typer.Option(20, "--runs", min=1, max=1000, help="Trivial jobs per sandbox mode."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Throughput of 1, 5 and 10 agents on jobs that wait on I/O; what the sandbox costs."""
    from core.devkit.bench.swarm import render, run_swarm_bench

    counts = _sizes(agents)
    report = asyncio.run(run_swarm_bench(Context.settings(), counts, jobs, wait, runs))
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))


@bench_app.command("ledger")
def ledger_bench(
    postings: str = typer.Option("10000,1000000", help="Journal sizes to measure."),
    new: int = typer.Option(2000, "--new", min=2, max=100_000, help="Postings between checks."),
    rounds: int = typer.Option(3, "--rounds", min=1, max=50, help="Checks timed per size."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """The books check at each journal size: a full replay, and the ordinary check that begins
    at the last signed checkpoint; the ratio of the largest size to the smallest."""
    from core.devkit.bench.ledger import render, run_ledger_bench

    sizes = _sizes(postings)
    report = asyncio.run(run_ledger_bench(Context.settings(), sizes, new, rounds))
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))
