"""`lcn console` (the operator console) and `lcn screenshots` (its README pictures)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from console.cli.common import EXIT_USAGE, Context, fail


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
) -> None:
    """Open the operator console (also: lcn --redis URL --pool P console)."""
    from console import prefs
    from console.app import run_console

    if theme is not None:
        try:
            prefs.check_theme(theme)
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE, code="usage")
    settings = Context.settings()
    if read_only:  # on the embedded Redis, sign in as the user that cannot write
        settings = settings.model_copy(update={"embedded_user": "reader"})
    if no_bell:
        settings = settings.model_copy(update={"bell": False})
    run_console(settings, read_only=read_only, refresh=refresh, operator=operator, theme=theme)


def screenshots_cmd(
    out: Path = typer.Option(Path("screenshots"), "--out", help="Directory for the SVG files."),
) -> None:
    """Regenerate the console's screenshots from a deterministic seeded pool (deleted after)."""
    from console.shots import save_screenshots

    for path in asyncio.run(save_screenshots(Context.settings(), out)):
        typer.echo(str(path))
