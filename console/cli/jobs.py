"""`lcn job …`: submit, inspect and steer jobs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from console.cli.common import Context, emit_json, fail, run, table
from core import actions, jobs, submission
from core.models.job import Job, SubmitJob
from core.money import format_usd
from core.payments import mode
from core.store import Store

app = typer.Typer(help="Submit and manage jobs.", no_args_is_help=True)


def _read_body(source: str) -> SubmitJob:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        fail(f"Cannot read {source}: {exc.strerror}.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{source} is not JSON ({exc.msg} at line {exc.lineno}).")
    return SubmitJob.model_validate(data)


@app.command()
def submit(
    source: str = typer.Argument(..., help="File with the submit body, or - for stdin."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Submit a job ({"creatorPKP": …, "task": {…}}) and print where it was placed."""
    from pydantic import ValidationError

    from console.cli.common import describe_validation_error

    try:
        body = _read_body(source)
    except ValidationError as exc:
        fail(describe_validation_error(exc))
    settings = Context.settings()
    result = run(
        lambda s: submission.submit(
            s,
            body,
            max_attempts=settings.max_attempts,
            payments_on=mode.enabled(settings),
        ),
        settings,
    )
    if json_out:
        emit_json(result)
        return
    where = result.assigned_node_id or f"nowhere yet — {result.pending_reason}"
    typer.echo(
        f"{result.job_id} {result.status} on {where} (estimate "
        f"{format_usd(result.estimated_cost_micro_usd)})"
    )


def job_line(job: Job) -> list[str]:
    cost = job.actual_cost_micro_usd if job.actual_cost_micro_usd is not None else None
    return [
        job.job_id,
        job.task.type,
        job.status,
        (job.assigned_node_id or "-")[:16],
        f"{job.lease.attempts}/{job.lease.max_attempts}",
        format_usd(cost) if cost is not None else "-",
        job.created_at.strftime("%H:%M:%S") if job.created_at else "-",
    ]


@app.command()
def get(job_id: str, json_out: bool = typer.Option(False, "--json")) -> None:
    """Show one job, with its history."""

    async def work(store: Store) -> tuple[Job, list[str]]:
        return await jobs.get_job(store, job_id), await jobs.job_history(store, job_id)

    job, history = run(work)
    if json_out:
        emit_json({**job.wire(), "history": history})
        return
    for name, value in job.wire().items():
        if name not in ("task", "logs"):
            typer.echo(f"{name:<24}{value}")
    typer.echo(f"{'task':<24}{json.dumps(job.task.wire())[:200]}")
    for line in job.logs:
        typer.echo(f"  log | {line}")
    for line in history:
        typer.echo(f"  history | {line}")


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help="pending, assigned, running, completed, …"),
    node: str | None = typer.Option(None, help="Only jobs placed on this node."),
    offset: int = typer.Option(0, min=0),
    limit: int = typer.Option(50, min=1, max=1000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List jobs, newest first."""
    found, total = run(
        lambda s: jobs.list_jobs(s, status=status, node_id=node, offset=offset, limit=limit)
    )
    if json_out:
        emit_json({"jobs": [j.wire() for j in found], "total": total, "offset": offset})
        return
    table(
        [job_line(j) for j in found], ["id", "type", "status", "node", "tries", "cost", "created"]
    )
    if total > offset + len(found):
        typer.echo(f"… {total - offset - len(found)} more (use --offset)")


def _operator_option() -> Any:
    """The `--operator` option: typer's OptionInfo, which a parameter takes as its default."""
    return typer.Option(None, "--operator", help="Name recorded in the audit log.")


@app.command()
def reassign(
    job_id: str,
    to: str | None = typer.Option(None, "--to", help="Node to move it to (default: best other)."),
    operator: str | None = _operator_option(),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Move a job to another node; the old lease is fenced."""
    node = run(lambda s: actions.reassign_job(s, actions.who(operator), job_id, to))
    if json_out:
        emit_json({"jobId": job_id, "assignedNodeId": node})
    else:
        typer.echo(f"{job_id} reassigned to {node}")


@app.command()
def cancel(
    job_id: str,
    operator: str | None = _operator_option(),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Cancel a job that has not finished; its hold is released."""
    status = run(lambda s: actions.cancel_job(s, actions.who(operator), job_id))
    if json_out:
        emit_json({"jobId": job_id, "status": status})
    else:
        typer.echo(f"{job_id} {status}")


@app.command()
def retry(
    job_id: str,
    operator: str | None = _operator_option(),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run a failed or cancelled job again."""
    status = run(lambda s: actions.retry_job(s, actions.who(operator), job_id))
    if json_out:
        emit_json({"jobId": job_id, "status": status})
    else:
        typer.echo(f"{job_id} {status}")
