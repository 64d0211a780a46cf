"""`lcn bench console`: the console's poll + draw time and memory at two fleet sizes."""

from __future__ import annotations

import asyncio
import json

import typer

from console.cli.common import Context


def register(bench_app: typer.Typer) -> None:
    bench_app.command("console")(bench_console)


def bench_console(
    json_out: bool = typer.Option(False, "--json"),
    samples: int = typer.Option(200, min=10, max=10_000, help="Polls measured per size."),
    small_only: bool = typer.Option(False, "--small-only", help="Only 1k nodes / 10k jobs."),
    nodes: int | None = typer.Option(
        None, min=1, max=1_000_000, help="One size of your own: this many nodes (with --jobs)."
    ),
    jobs: int | None = typer.Option(None, min=1, max=10_000_000, help="With --nodes."),
) -> None:
    """Poll+render p50/p99 and peak memory at 1k/10k and 100k/1M (seeded, then deleted)."""
    from console.devkit.console_bench import SIZES, render, run_console_bench

    if (nodes is None) != (jobs is None):
        raise typer.BadParameter("--nodes and --jobs go together: give both or neither.")
    sizes = ((nodes, jobs),) if nodes and jobs else SIZES[:1] if small_only else SIZES
    report = asyncio.run(run_console_bench(Context.settings(), sizes, samples))
    typer.echo(json.dumps(report, indent=2) if json_out else render(report))
