"""`lcn console` (the operator console) and `lcn screenshots` (its README pictures)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer

from console.cli.common import EXIT_REFUSED, EXIT_USAGE, Context, fail
from core import actions
from core.access.roles import Operator, Role, audit_name, capped, role_named
from core.config import Settings
from core.errors import LcnError


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root `lcn` app."""
    root.command("console")(console_cmd)
    root.command("screenshots")(screenshots_cmd)


def console_cmd(
    read_only: bool = typer.Option(
        False, "--read-only", help="Watch only: every action is disabled, and says so."
    ),
    refresh: float = typer.Option(1.0, "--refresh", min=0.1, max=300, help="Seconds per poll."),
    operator: str | None = typer.Option(
        None, "--operator", help="Name recorded in the audit log (default: user@host)."
    ),
    theme: str | None = typer.Option(
        None, "--theme", help="Theme for this run (default: the one last picked in ctrl+p)."
    ),
    no_bell: bool = typer.Option(
        False, "--no-bell", help="No terminal bell for new triage items (also LCN_BELL=off)."
    ),
    replay: bool = typer.Option(
        False, "--replay", help="Play the pool's recording from the archive, read-only."
    ),
    start: str | None = typer.Option(
        None, "--from", help="With --replay: from TIME (ISO-8601, UTC unless it says; or -30m)."
    ),
    end: str | None = typer.Option(None, "--to", help="With --replay: up to TIME."),
    role: str | None = typer.Option(
        None, "--role", help="Act with at most this role: viewer (read-only), operator or admin."
    ),
) -> None:
    """Open the operator console (also: lcn --redis URL --pool P console)."""
    from console import prefs
    from console.app import run_console

    if theme is not None:
        try:
            prefs.check_theme(theme)
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE, code="usage")
    acting: Operator | None = operator
    if role is not None:
        try:
            cap = role_named(role)
        except LcnError as exc:
            fail(str(exc), EXIT_USAGE, code="usage")
        read_only = read_only or cap == Role.VIEWER
        acting = capped(audit_name(actions.who(operator)), cap)
    settings = Context.settings()
    if read_only:  # on the embedded Redis, sign in as the user that cannot write
        settings = settings.model_copy(update={"embedded_user": "reader"})
    if no_bell:
        settings = settings.model_copy(update={"bell": False})
    if replay or start is not None or end is not None:
        replay_cmd(settings, start, end, replay=replay, read_only=read_only, refresh=refresh,
                   operator=acting, theme=theme)  # fmt: skip
        return
    run_console(settings, read_only=read_only, refresh=refresh, operator=acting, theme=theme)


def replay_cmd(
    settings: Settings,
    start: str | None,
    end: str | None,
    *,
    replay: bool,
    read_only: bool,
    refresh: float,
    operator: Operator | None,
    theme: str | None,
) -> None:
    """`lcn console --replay [--from TIME] [--to TIME]`: the range checked before the console
    opens, so a bad time or an empty range is one sentence in the shell."""
    from console.replay.run import check_range, run_replay
    from console.replay.times import time_range

    if not replay:
        fail("--from and --to go with --replay.", EXIT_USAGE, code="usage")
    try:
        since, until = time_range(start, end, int(time.time() * 1000))
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE, code="usage")
    problem = check_range(settings, since, until)
    if problem is not None:
        fail(problem, EXIT_REFUSED, code="not_found")
    run_replay(settings, since, until, read_only=read_only, refresh=refresh, operator=operator,
               theme=theme)  # fmt: skip


def screenshots_cmd(
    out: Path = typer.Option(Path("screenshots"), "--out", help="Directory for the SVG files."),
) -> None:
    """Regenerate the console's screenshots from a deterministic seeded pool (deleted after)."""
    from console.shots import save_screenshots

    for path in asyncio.run(save_screenshots(Context.settings(), out)):
        typer.echo(str(path))
