"""`lcn serve web`: the console in a browser, for demos, through textual-serve. Each browser
tab gets its own console process (the same `lcn console` a terminal runs) over a websocket.

textual-serve has no sign-in: whoever reaches the address gets a console. So it listens on
loopback unless `--public` says otherwise, and the default role is `viewer` (read-only)."""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from typing import Literal

import typer

from console.cli.common import EXIT_USAGE, Context, fail

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


def register(serve_app: typer.Typer) -> None:
    """Add `web` to the `lcn serve` group (console.cli.access_cmd makes it, with `ssh`)."""
    serve_app.command("web")(web_cmd)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost`: only this machine can connect."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def console_command(role: Role) -> str:
    """The command each browser session runs: this Python's `lcn console`. Redis and the pool
    reach it through the environment (LCN_REDIS_URL, LCN_POOL), never the command line, where
    any local user could read a password in the process list."""
    # The role caps what each session may do, in core's action layer (core.access.roles.capped);
    # a viewer's console is also read-only and signs in to the embedded Redis as the reader.
    args = [sys.executable, "-c", "from console.cli import main; main()", "console", "--role", role]
    return shlex.join(args)


def web_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    role: str = typer.Option(
        "viewer", "--role", help="viewer (read-only, the default), operator or admin."
    ),
    public: bool = typer.Option(
        False, "--public", help="Allow a host other than loopback (there is no sign-in)."
    ),
    public_url: str | None = typer.Option(
        None,
        "--public-url",
        help="The URL browsers use, when it is not http://HOST:PORT (a proxy, a tunnel).",
    ),
) -> None:
    """Serve the console in a browser (textual-serve); open http://HOST:PORT."""
    if role not in ROLES:
        fail(f"--role must be viewer, operator or admin, not {role!r}.", EXIT_USAGE, "usage")
    if not is_loopback(host) and not public:
        fail(
            f"Refusing to serve on {host}: textual-serve has no sign-in, so anyone who can reach "
            "that address gets a console on this pool. Keep the default 127.0.0.1 (and tunnel, "
            "e.g. ssh -L 8000:127.0.0.1:8000), or pass --public if you mean it.",
            EXIT_USAGE,
            "usage",
        )
    settings = Context.settings()  # checked now, so a bad URL fails here, not in each tab
    from textual_serve.server import Server

    # The sessions inherit this environment: the same Redis and pool as this command.
    if settings.redis_url:
        os.environ["LCN_REDIS_URL"] = settings.redis_url
    os.environ["LCN_POOL"] = settings.pool
    title = f"lcn console · pool {settings.pool} · {role}"
    server = Server(console_command(role), host=host, port=port, title=title, public_url=public_url)
    typer.echo(f"lcn console ({role}) for pool {settings.pool} on http://{host}:{port}")
    server.serve()
