"""`lcn`: the command line of the Lit Compute Network."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import typer
from typer._click.core import Context as ClickContext  # typer ships its own click
from typer.core import TyperGroup

from console.cli import (
    access_cmd,
    alerts_cmd,
    archive_cmd,
    bench_console,
    console_cmd,
    gateway_cmd,
    jobs,
    nodes,
    payments_cmd,
    serve_web,
)
from console.cli.bench import bench_app
from console.cli.common import EXIT_UNAVAILABLE, EXIT_USAGE, Context, emit_json, fail, run
from console.cli.swarm_cmd import demo, orchestrator
from core import ledger, status
from core.money import format_usd
from core.store import Store

GLOBAL_OPTIONS = ("--redis", "--pool")


def hoist_global_options(args: list[str]) -> list[str]:
    """The global options moved to the front, wherever they were given: `lcn console --pool demo`
    means `lcn --pool demo console`. Nothing after `--` is touched."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS and ("=" in arg or i + 1 < len(args)):
            if "=" in arg:
                front.append(arg)
                i += 1
            else:
                front.extend(args[i : i + 2])
                i += 2
            continue
        rest.append(arg)
        i += 1
    return front + rest


class LcnGroup(TyperGroup):
    """The root command: global options accepted before or after the subcommand, and with
    `--json` anywhere on the line, every failure (usage errors too) reported as JSON on stdout."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        before = args[: args.index("--")] if "--" in args else args
        Context.json = "--json" in before
        Context.emitted = False
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:  # click's usage errors, as typer ships them
            if not Context.json:
                raise
            message = getattr(exc, "format_message", exc.__str__)()
            sys.stdout.write(json.dumps({"error": {"code": "usage", "message": message}}) + "\n")
            raise typer.Exit(getattr(exc, "exit_code", EXIT_USAGE)) from None


app = typer.Typer(
    cls=LcnGroup,
    help="lcn — the Lit Compute Network's core and operator console.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(nodes.app, name="node")
app.add_typer(jobs.app, name="job")
app.add_typer(bench_app, name="bench")
app.command("orchestrator")(orchestrator)
app.command("demo")(demo)
gateway_cmd.register(app)  # lcn gateway, lcn apikey, lcn bench gateway
console_cmd.register(app)  # lcn console, lcn screenshots
bench_console.register(bench_app)  # lcn bench console
payments_cmd.register(app)  # lcn payouts, lcn payments
archive_cmd.register(app)  # lcn archive status
access_cmd.register(app)  # lcn access, lcn serve ssh
alerts_cmd.register(app)  # lcn alerts test, lcn alerts rules
serve_web.register(access_cmd.serve_app)  # lcn serve web
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")


@app.callback()
def root(
    redis_url: str | None = typer.Option(
        None, "--redis", help="Redis URL (default: LCN_REDIS_URL, REDIS_URL, KV_URL, embedded)."
    ),
    pool: str | None = typer.Option(None, "--pool", help="Pool name (default: LCN_POOL)."),
) -> None:
    Context.redis_url = redis_url
    Context.pool = pool


def _masked(url: str) -> str:
    return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)


@app.command("redis")
def redis_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """Print the Redis in use and whether it is lcn's embedded server."""

    async def work(store: Store) -> dict[str, object]:
        info = await store.redis.info("server")
        return {
            "url": _masked(store.url),
            "embedded": store.embedded,
            "pool": store.pool,
            "version": info.get("redis_version"),
        }

    info = run(work)
    if json_out:
        emit_json(info)
    else:
        kind = "embedded" if info["embedded"] else "external"
        typer.echo(f"{info['url']} ({kind}, redis {info['version']}, pool {info['pool']})")


@app.command("status")
def status_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """The network's health and counts by state; exit 3 when degraded."""
    health = run(status.health)
    if json_out:
        emit_json(health)
    else:
        typer.echo(
            f"status {health.status}  pool {health.pool}  nodes {health.nodes}  jobs {health.jobs}"
        )
        for title, counts in (("nodes", health.nodes_by_status), ("jobs", health.jobs_by_status)):
            typer.echo(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if health.reason:
            typer.echo(f"  {health.reason}")
    if health.status != "ok":
        raise typer.Exit(EXIT_UNAVAILABLE)


@ledger_app.command("check")
def ledger_check(
    json_out: bool = typer.Option(False, "--json"),
    full: bool = typer.Option(
        False,
        "--full",
        help="Replay the whole history (the archived postings and the journal), not only what "
        "came after the checkpoint.",
    ),
) -> None:
    """Verify that balances sum to zero, match the journal and node earnings, and that every
    posting comes from a real source (a settled job, a paid purchase, a payout, a refund).
    It begins at the last signed checkpoint and saves a new one; --full replays the whole
    history, the archive's postings merged with the journal, against the signed checkpoint."""
    result = run(lambda store: ledger.check(store, full=full))
    if json_out:
        emit_json(result)
    elif result.ok:
        typer.echo(
            f"ledger balanced and proven: {result.postings} postings over "
            f"{result.accounts} accounts"
            + (f", {result.reversed_postings} reversed" if result.reversed_postings else "")
            + (f", {result.archived} read from the archive" if result.archived else "")
            + (
                f" ({result.replayed} replayed since the checkpoint at {result.from_checkpoint})"
                if result.from_checkpoint
                else f" ({result.replayed} replayed)"
            )
        )
    else:
        typer.echo(f"total {format_usd(result.total)}")
        for posting in result.unproven:
            moved = ", ".join(
                f"{leg.from_account} → {leg.to_account} {format_usd(leg.amount_micro_usd)}"
                for leg in posting.legs
            )
            typer.echo(
                f"UNPROVEN {posting.posting_id} {posting.kind} {posting.idem!r} "
                f"({moved}): {posting.reason}"
            )
    if result.checkpoint_note and not json_out:
        typer.echo(f"note: began at the start of the journal: {result.checkpoint_note}.")
    if not result.ok:
        fail(" ".join(result.problems))


@ledger_app.command("reverse")
def ledger_reverse(
    posting_id: str = typer.Argument(..., help="The unproven posting's journal id."),
    reason: str = typer.Option("", "--reason", help="Why, for the audit log."),
    operator: str | None = typer.Option(None, "--operator", help="Name recorded in the audit log."),
) -> None:
    """Reverse a posting the ledger check cannot prove (forged money): every leg is moved
    back, audited, and payouts resume once the books are proven again."""
    from core import actions

    done = run(
        lambda store: actions.reverse_posting(store, actions.who(operator), posting_id, reason)
    )
    typer.echo(f"{done}; the ledger check now {'passes' if done.check.ok else 'still fails'}")
    if not done.check.ok:
        fail(" ".join(done.check.problems))


@ledger_app.command("balances")
def ledger_balances(json_out: bool = typer.Option(False, "--json")) -> None:
    """Every account's balance."""
    balances = run(ledger.balances)
    if json_out:
        emit_json(balances)
        return
    for account, micro in sorted(balances.items()):
        typer.echo(f"{account:<70} {format_usd(micro):>16}")


def main() -> None:
    app()
