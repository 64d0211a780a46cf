"""`lcn gateway` (serve the HTTP API) and `lcn apikey …` (submitters' API keys).

`register(app)` adds both to the root CLI, and `lcn bench gateway` to the bench group.
"""

from __future__ import annotations

import typer

from console.cli.common import Context, emit_json, run, table
from core import apikeys
from core.store import Store

apikey_app = typer.Typer(help="API keys for job submitters (stored hashed).", no_args_is_help=True)


def gateway(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, min=1, max=64, help="uvicorn worker processes."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the network's HTTP API (uvicorn). Several gateways may serve one pool."""
    from core.gateway.server import serve

    settings = Context.settings()
    typer.echo(f"lcn gateway for pool {settings.pool} on http://{host}:{port}", err=True)
    serve(settings, host=host, port=port, workers=workers, log_level=log_level)


@apikey_app.command("create")
def create(
    name: str = typer.Argument(..., help="A name to recognise the key by."),
    creator: str | None = typer.Option(
        None, "--creator", help="Bind the key to this creatorPKP (default: an operator key)."
    ),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a key and print its secret once; only its SHA-256 is stored."""

    async def work(store: Store) -> tuple[apikeys.ApiKey, str]:
        return await apikeys.create(store, name, creator)

    key, secret = run(work)
    if json_out:
        emit_json({**key.wire(), "secret": secret})
    else:
        typer.echo(f"{secret}\n(key {key.key_id} '{key.name}': shown once, keep it secret)")


@apikey_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json")) -> None:
    """Every key of the pool (never the secrets)."""
    keys = run(apikeys.list_keys)
    if json_out:
        emit_json(keys)
        return
    rows = [
        [
            k.name,
            k.key_id,
            k.creator or "any (operator)",
            k.created_at.strftime("%Y-%m-%d %H:%M:%S") if k.created_at else "-",
        ]
        for k in keys
    ]
    table(rows, ["name", "id", "creator", "created"])


@apikey_app.command("revoke")
def revoke(
    name_or_id: str = typer.Argument(..., help="The key's name or id."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Revoke a key; it stops working at once on every gateway."""

    async def work(store: Store) -> apikeys.ApiKey:
        return await apikeys.revoke(store, name_or_id)

    key = run(work)
    if json_out:
        emit_json({**key.wire(), "revoked": True})
    else:
        typer.echo(f"revoked {key.name} ({key.key_id})")


def register(app: typer.Typer) -> None:
    """Add `lcn gateway`, `lcn apikey` and `lcn bench gateway` to the CLI."""
    from console.cli import bench_gateway

    app.command("gateway")(gateway)
    app.add_typer(apikey_app, name="apikey")
    bench_gateway.register()
