"""`lcn job …`: submit, inspect and steer jobs."""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from console.cli.bulk_jobs import check_target, run_bulk
from console.cli.common import Context, emit_json, fail, full_id, run, table
from core import actions, jobs, submission
from core.access.roles import Operator
from core.models.job import Job, SubmitJob
from core.money import format_usd
from core.payments import mode
from core.store import Store

if TYPE_CHECKING:
    from core.job_list import JobPage

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
        fail(describe_validation_error(exc), code="invalid")
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
        f"{job.status} (archived)" if job.archived else job.status,
        (job.assigned_node_id or "-")[:16],
        f"{job.lease.attempts}/{job.lease.max_attempts}",
        format_usd(cost) if cost is not None else "-",
        job.created_at.strftime("%H:%M:%S") if job.created_at else "-",
    ]


JOB_ID_HELP = "The job's id, or a unique tail of it (…jwiahmwu)."


@app.command()
def get(
    job_id: str = typer.Argument(..., help=JOB_ID_HELP),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show one job, with its history."""

    async def work(store: Store) -> tuple[Job, list[str]]:
        whole = await full_id(store, job_id, "job")
        return await jobs.get_job_with_history(store, whole)

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
    node: str | None = typer.Option(
        None, help="Only jobs placed on this node (its id or a unique tail)."
    ),
    archived: bool = typer.Option(
        False, "--archived", help="Only jobs moved to the archive (finished a while ago)."
    ),
    offset: int = typer.Option(0, min=0),
    cursor: str | None = typer.Option(
        None, help="Start where the previous page said (its `next`); not with --offset."
    ),
    limit: int = typer.Option(50, min=1, max=1000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List jobs, newest first: live ones, then archived ones once a page runs past them."""

    async def work(store: Store) -> JobPage:
        node_id = None if node is None else await full_id(store, node, "node")
        return await jobs.list_jobs(
            store,
            status=status,
            node_id=node_id,
            archived=archived,
            offset=offset,
            cursor=cursor,
            limit=limit,
        )

    page = run(work)
    if json_out:
        emit_json(
            {
                "jobs": [j.wire() for j in page.jobs],
                "total": page.total,
                "offset": offset,
                "next": page.next_cursor,
            }
        )
        return
    table(
        [job_line(j) for j in page.jobs],
        ["id", "type", "status", "node", "tries", "cost", "created"],
    )
    if page.next_cursor is not None:
        typer.echo(f"… more: --cursor {page.next_cursor}")


def _operator_option() -> Any:
    """The `--operator` option: typer's OptionInfo, which a parameter takes as its default."""
    return typer.Option(None, "--operator", help="Name recorded in the audit log.")


@app.command()
def reassign(
    job_id: str = typer.Argument(..., help=JOB_ID_HELP),
    to: str | None = typer.Option(
        None, "--to", help="Node to move it to, its id or a unique tail (default: best other)."
    ),
    operator: str | None = _operator_option(),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Move a job to another node; the old lease is fenced."""

    async def work(store: Store) -> tuple[str, str]:
        whole = await full_id(store, job_id, "job")
        target = None if to is None else await full_id(store, to, "node")
        return whole, await actions.reassign_job(store, actions.who(operator), whole, target)

    job_id, node = run(work)
    if json_out:
        emit_json({"jobId": job_id, "assignedNodeId": node})
    else:
        typer.echo(f"{job_id} reassigned to {node}")


def _one_job(
    given: str,
    act: Callable[[Store, Operator, str], Awaitable[str]],
    operator: str | None,
    json_out: bool,
) -> None:
    """Cancel or retry one job, named by its id or a unique tail."""

    async def work(store: Store) -> tuple[str, str]:
        whole = await full_id(store, given, "job")
        return whole, await act(store, actions.who(operator), whole)

    job_id, status = run(work)
    if json_out:
        emit_json({"jobId": job_id, "status": status})
    else:
        typer.echo(f"{job_id} {status}")


ALL_HELP = "Every job --status (and --creator, --type, --node) matches, each audited."
YES_HELP = "Do it without asking (needed when stdin is not a terminal, and with --json)."


def _bulk_options() -> dict[str, Any]:
    """The options of `--all`, shared by cancel and retry (typer's OptionInfo defaults)."""
    return {
        "every": typer.Option(False, "--all", help=ALL_HELP),
        "status": typer.Option(None, "--status", help="The state of the jobs to act on."),
        "creator": typer.Option(None, "--creator", help="Only this creator's jobs (0x…)."),
        "job_type": typer.Option(
            None, "--type", help="Only jobs of this type (code, model, data)."
        ),
        "node": typer.Option(None, "--node", help="Only jobs on this node (id or unique tail)."),
        "yes": typer.Option(False, "--yes", "-y", help=YES_HELP),
    }


BULK = _bulk_options()


@app.command()
def cancel(
    job_id: str | None = typer.Argument(None, help=JOB_ID_HELP + " Or --all."),
    every: bool = BULK["every"],
    status: str | None = BULK["status"],
    creator: str | None = BULK["creator"],
    job_type: str | None = BULK["job_type"],
    node: str | None = BULK["node"],
    yes: bool = BULK["yes"],
    operator: str | None = _operator_option(),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Cancel a job that has not finished, or --all pending (assigned, running) jobs that match;
    holds are released."""
    check_target(job_id, every, status=status, creator=creator, type=job_type, node=node, yes=yes)
    if job_id is None:
        run_bulk("cancel", status=status, creator=creator, job_type=job_type, node=node,
                 operator=operator, yes=yes, json_out=json_out)  # fmt: skip
        return
    _one_job(job_id, actions.cancel_job, operator, json_out)


@app.command()
def retry(
    job_id: str | None = typer.Argument(None, help=JOB_ID_HELP + " Or --all."),
    every: bool = BULK["every"],
    status: str | None = BULK["status"],
    creator: str | None = BULK["creator"],
    job_type: str | None = BULK["job_type"],
    node: str | None = BULK["node"],
    yes: bool = BULK["yes"],
    operator: str | None = _operator_option(),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Run a failed or cancelled job again, or --all failed (or cancelled) jobs that match."""
    check_target(job_id, every, status=status, creator=creator, type=job_type, node=node, yes=yes)
    if job_id is None:
        run_bulk("retry", status=status, creator=creator, job_type=job_type, node=node,
                 operator=operator, yes=yes, json_out=json_out)  # fmt: skip
        return
    _one_job(job_id, actions.retry_job, operator, json_out)
