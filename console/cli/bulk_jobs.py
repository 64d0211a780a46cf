"""`lcn job retry --all …` and `lcn job cancel --all …`: the console's `T` and `C` for scripts.

The same core action (core.bulk: one audited per-job action each). Counting comes first; in a
terminal the count is asked about, and anywhere else (a pipe, cron, `--json`) nothing is done
without `--yes`, with the count in the refusal so it doubles as a dry run. Exit 0 when every
matching job was done, 1 when any was refused (the output says how many, and the first reason).
"""

from __future__ import annotations

import sys
from typing import Any

import typer
from pydantic import ValidationError

from console.cli.common import (
    EXIT_REFUSED,
    EXIT_USAGE,
    Context,
    describe_validation_error,
    emit_json,
    fail,
    full_id,
    run,
)
from console.state import TYPE_ALIASES
from core import actions, bulk
from core.money import format_usd
from core.store import Store


def check_target(job_id: str | None, every: bool, **filters: Any) -> None:
    """One job id, or --all with its filter: never both, never neither, no stray filter."""
    if job_id and every:
        fail("Give a job id or --all, not both.", EXIT_USAGE, code="usage")
    if not job_id and not every:
        fail("Give a job id, or --all with --status to act on every matching job.", EXIT_USAGE,
             code="usage")  # fmt: skip
    stray = [f"--{name.replace('_', '-')}" for name, value in filters.items() if value]
    if job_id and stray:
        fail(f"{', '.join(stray)} only go with --all.", EXIT_USAGE, code="usage")


def run_bulk(
    action: bulk.Action,
    *,
    status: str | None,
    creator: str | None,
    job_type: str | None,
    node: str | None,
    operator: str | None,
    yes: bool,
    json_out: bool,
) -> None:
    states = " or ".join(bulk.STATES[action])
    if status is None:
        fail(f"--all needs --status ({states}).", EXIT_USAGE, code="usage")
    try:
        given = bulk.JobFilter.model_validate(
            {
                "status": status,
                "job_type": TYPE_ALIASES.get(job_type or "", job_type),
                "creator": creator,
            }
        )
    except ValidationError as exc:
        fail(describe_validation_error(exc), code="invalid")

    async def count(store: Store) -> tuple[bulk.JobFilter, bulk.Matched]:
        flt = given
        if node is not None:
            whole = await full_id(store, node, "node")
            flt = bulk.JobFilter.model_validate({**given.model_dump(), "node_id": whole})
        bulk.check_action(action, flt)
        return flt, await bulk.find(store, flt)

    flt, matched = run(count)
    if not matched.count:
        outcome = bulk.BulkOutcome(action, flt, 0, 0, 0, None, 0, False)
        if json_out:
            emit_json(outcome.wire())
        else:
            typer.echo(f"No {flt.label()} in pool {Context.settings().pool}; nothing to do.")
        return
    what = f"{matched.count:,} {flt.label()}" + (" (and more match)" if matched.more else "")
    if action == "cancel":
        what += f", releasing {format_usd(matched.held)} of holds"
    if not yes:
        if json_out or not sys.stdin.isatty():
            fail(
                f"This would {action} {what}; add --yes to do it (not asked: "
                + ("--json" if json_out else "stdin is not a terminal")
                + ").",
                EXIT_USAGE,
                code="confirm",
            )
        if not typer.confirm(f"{action.capitalize()} {what}?", default=False):
            typer.echo("Nothing was done.")
            raise typer.Exit(EXIT_REFUSED)
    act = bulk.retry_all if action == "retry" else bulk.cancel_all
    outcome = run(lambda s: act(s, actions.who(operator), flt, limit=matched.count))
    if json_out:
        emit_json(outcome.wire())
    else:
        typer.echo(outcome.sentence())
    if outcome.refused or outcome.stopped:
        raise typer.Exit(EXIT_REFUSED)
