"""`lcn node …`: keys, registration, listing and status changes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from console.cli.common import Context, emit_json, fail, run, table
from core import registry
from core.errors import InvalidInput
from core.identity import new_key, read_key, write_key
from core.models.node import Node, RegisterNode
from core.money import format_usd
from core.store import Store

app = typer.Typer(help="Register and manage compute nodes.", no_args_is_help=True)


@app.command()
def keygen(
    out: Path = typer.Option(..., "--out", help="Where to write the key file (mode 0600)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Make a secp256k1 key pair: the node's PKP identity."""
    key = new_key()
    try:
        write_key(key, out)
    except InvalidInput as exc:
        fail(str(exc))
    if json_out:
        emit_json({"address": key.address, "publicKey": key.public_key, "keyFile": str(out)})
    else:
        typer.echo(f"address     {key.address}\npublic key  {key.public_key}\nkey file    {out}")


def node_line(node: Node) -> list[str]:
    load = f"{node.load.cpu_used}/{node.capabilities.cpu}"
    seen = node.last_seen.strftime("%Y-%m-%d %H:%M:%S") if node.last_seen else "-"
    return [
        node.node_id,
        node.location.region,
        node.status,
        load,
        str(node.reputation),
        str(node.total_jobs_completed),
        format_usd(node.total_earnings_micro_usd),
        seen,
    ]


NODE_HEADERS = ["id", "region", "status", "cpu", "rep", "jobs", "earned", "last seen"]


@app.command()
def register(
    key_file: Path = typer.Option(..., "--key", help="Key file from `lcn node keygen`."),
    cpu: int = typer.Option(..., help="CPU cores offered."),
    memory: Decimal = typer.Option(..., help="Memory offered, GB."),
    storage: Decimal = typer.Option(Decimal(0), help="Disk offered, GB."),
    gpu: bool = typer.Option(False, "--gpu", help="The node has a GPU."),
    region: str = typer.Option(..., help="Region name, e.g. us-east-1."),
    lat: float = typer.Option(..., help="Latitude, -90 to 90."),
    lon: float = typer.Option(..., help="Longitude, -180 to 180."),
    runtime: list[str] = typer.Option(["python"], help="Runtime offered (repeatable)."),
    model: list[str] = typer.Option([], help="Model served (repeatable)."),
    cpu_price: Decimal = typer.Option(Decimal("0.001"), help="USD per CPU-second."),
    memory_price: Decimal = typer.Option(Decimal("0.05"), help="USD per GB-second."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Register this key's node by challenge–response (or re-attach it)."""
    try:
        key = read_key(key_file)
    except InvalidInput as exc:
        fail(str(exc))
    settings = Context.settings()

    async def work(store: Store) -> Node:
        challenge = await registry.issue_challenge(store, key.address, settings.nonce_ttl_s)
        body = RegisterNode.model_validate(
            {
                "pkpAddress": key.address,
                "publicKey": key.public_key,
                "capabilities": {
                    "cpu": cpu,
                    "memory": memory,
                    "gpu": gpu,
                    "storage": storage,
                    "runtimes": runtime,
                    "models": model,
                },
                "location": {"region": region, "lat": lat, "lon": lon},
                "pricing": {"cpuPerSecond": cpu_price, "memoryPerGB": memory_price},
                "nonce": challenge.nonce,
                "signature": key.sign(challenge.message),
            }
        )
        return await registry.register(store, body)

    node = run(work, settings)
    if json_out:
        emit_json(node)
    else:
        typer.echo(f"registered {node.node_id} ({node.status}, reputation {node.reputation})")


@app.command("list")
def list_(
    status: str | None = typer.Option(None, help="active, busy, draining or offline."),
    offset: int = typer.Option(0, min=0),
    limit: int = typer.Option(100, min=1, max=1000),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """List nodes, oldest first."""
    nodes, total = run(lambda s: registry.list_nodes(s, status=status, offset=offset, limit=limit))
    if json_out:
        emit_json({"nodes": [n.wire() for n in nodes], "total": total, "offset": offset})
        return
    table([node_line(n) for n in nodes], NODE_HEADERS)
    if total > offset + len(nodes):
        typer.echo(f"… {total - offset - len(nodes)} more (use --offset)")


@app.command()
def get(node_id: str, json_out: bool = typer.Option(False, "--json")) -> None:
    """Show one node."""
    node = run(lambda s: registry.get_node(s, node_id))
    if json_out:
        emit_json(node)
        return
    for name, value in node.wire().items():
        typer.echo(f"{name:<22}{value}")


def _status_command(action: str, doc: str) -> None:
    def command(
        node_id: str,
        operator: str | None = typer.Option(None, help="Name recorded in the audit log."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        from core import actions

        status = run(lambda s: actions.node_action(s, actions.who(operator), action, node_id))
        if json_out:
            emit_json({"nodeId": node_id, "status": status})
        else:
            typer.echo(f"{node_id} is now {status}")

    command.__doc__ = doc
    app.command(action)(command)


_status_command("drain", "Stop placing new jobs on a node; its running jobs finish.")
_status_command("undrain", "Let a draining node take new jobs again.")
_status_command("offline", "Take a node offline now; its jobs go back to the queue.")
