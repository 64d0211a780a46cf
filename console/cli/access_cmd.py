"""`lcn access …` (SSH keys granted a console role) and `lcn serve ssh` (the console over SSH).

`register(app)` adds both to the root CLI. A local `lcn` is admin-equivalent, as it always was:
whoever runs it already holds the Redis credentials.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer

from console.cli.common import Context, emit_json, fail, run, table
from core import access, actions
from core.errors import LcnError
from core.store import Store

access_app = typer.Typer(help="SSH keys allowed into `lcn serve ssh`, each with a role.",
                         no_args_is_help=True)  # fmt: skip
serve_app = typer.Typer(
    help="Serve the console to others: over SSH (ssh) or in a browser (web).", no_args_is_help=True
)


@access_app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the key, shown in the audit log."),
    key: Path = typer.Option(..., "--key", help="The OpenSSH public key file (….pub)."),
    role: str = typer.Option(..., "--role", help="viewer, operator or admin."),
    operator: str | None = typer.Option(None, "--operator", help="Your name in the audit log."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Grant a public key a role: viewer, operator (jobs, nodes) or admin (also money, access)."""

    async def work(store: Store) -> access.SshKey:
        await actions.grant_key(store, actions.who(operator), name, str(key), role)
        found = [k for k in await access.list_keys(store) if k.name == name]
        return found[0]

    granted = run(work)
    if json_out:
        emit_json(granted)
    else:
        typer.echo(f"granted {granted.name} ({granted.role}) {granted.fingerprint}")


@access_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json")) -> None:
    """Every granted key: name, role, fingerprint, when it was granted."""
    keys = run(access.list_keys)
    if json_out:
        emit_json(keys)
        return
    rows = [
        [
            k.name,
            k.role,
            k.fingerprint,
            k.created_at.strftime("%Y-%m-%d %H:%M:%S") if k.created_at else "-",
        ]
        for k in keys
    ]
    table(rows, ["name", "role", "fingerprint", "created"])


@access_app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The key's name."),
    operator: str | None = typer.Option(None, "--operator", help="Your name in the audit log."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Revoke a key: it signs in no more and its open sessions end within seconds."""

    async def work(store: Store) -> str:
        return await actions.revoke_key(store, actions.who(operator), name)

    fingerprint = run(work)
    if json_out:
        emit_json({"name": name, "fingerprint": fingerprint, "revoked": True})
    else:
        typer.echo(f"revoked {name} ({fingerprint})")


@serve_app.command("ssh")
def serve_ssh(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(2222, min=1, max=65535, help="TCP port."),
    host_key: Path | None = typer.Option(
        None,
        "--host-key",
        help="The server's private key, made (0600) on first start; default: "
        "ssh_host_ed25519_key in the data directory.",
    ),
) -> None:
    """Serve the console over SSH to the keys `lcn access` granted, each with its role."""
    from pydantic import ValidationError

    from console.cli.common import describe_validation_error
    from console.sshd.config import SshSettings
    from console.sshd.hostkey import default_path
    from console.sshd.server import serve_forever

    settings = Context.settings()
    try:
        ssh = SshSettings()
    except ValidationError as exc:
        fail(describe_validation_error(exc), code="invalid")
    path = host_key or default_path(settings.data_dir)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Our lines say who signed in, was refused or turned away; asyncssh's own are per packet.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    typer.echo(f"lcn serve ssh for pool {settings.pool} on {host}:{port} (host key {path})",
               err=True)  # fmt: skip
    try:
        asyncio.run(serve_forever(settings, ssh, host=host, port=port, host_key=path))
    except KeyboardInterrupt:
        pass
    except LcnError as exc:
        fail(str(exc), code=exc.code)
    except OSError as exc:
        fail(f"Cannot serve on {host}:{port} ({exc}).")


def register(app: typer.Typer) -> None:
    """Add `lcn access` and `lcn serve ssh` to the CLI."""
    app.add_typer(access_app, name="access")
    app.add_typer(serve_app, name="serve")
