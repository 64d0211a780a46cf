"""`lcn node …`: keys, registration, listing and status changes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from console.cli.common import Context, emit_json, fail, full_id, run, table
from core import registry
from core.errors import InvalidInput
from core.identity import new_key, read_key, write_key
from core.models.node import Node, RegisterNode
from core.money import format_usd
from core.store import Store
from core.swarm.executors.policy import NodeSandbox

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
        _sandbox_cell(node),
        seen,
    ]


def _sandbox_cell(node: Node) -> str:
    caps = node.capabilities
    if caps.sandbox == "unavailable":
        return "none: no code jobs"
    if caps.sandbox == "off":
        return "OFF (unsafe)"
    return "bwrap+net" if caps.network else "bwrap"


NODE_ID_HELP = "The node's id, or a unique tail of it (…jwiahmwu)."
NODE_HEADERS = ["id", "region", "status", "cpu", "rep", "jobs", "earned", "sandbox", "last seen"]


def say_sandbox(sandbox: NodeSandbox, kinds: list[str]) -> None:
    """Tell the operator once, at start, what the sandbox is and what it means for jobs."""
    if sandbox.mode == "bubblewrap":
        net = "outbound network on request" if sandbox.policy.allow_network else "no network"
        typer.echo(f"sandbox: bubblewrap, {net}")
    elif sandbox.mode == "unavailable":
        skipped = " (code-execution jobs will not be taken)" if "code-execution" in kinds else ""
        typer.echo(f"sandbox: unavailable{skipped}: {sandbox.reason}", err=True)
    else:
        typer.secho(
            "WARNING: --unsafe-no-sandbox: jobs run as this user and can read its files, "
            "its keys and its network. Never use this for jobs from strangers.",
            err=True,
            fg="red",
            bold=True,
        )


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
def get(
    node_id: str = typer.Argument(..., help=NODE_ID_HELP),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Show one node."""

    async def work(store: Store) -> Node:
        return await registry.get_node(store, await full_id(store, node_id, "node"))

    node = run(work)
    if json_out:
        emit_json(node)
        return
    for name, value in node.wire().items():
        typer.echo(f"{name:<22}{value}")


def _status_command(action: str, doc: str) -> None:
    def command(
        node_id: str = typer.Argument(..., help=NODE_ID_HELP),
        operator: str | None = typer.Option(None, help="Name recorded in the audit log."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        from core import actions

        async def work(store: Store) -> tuple[str, str]:
            whole = await full_id(store, node_id, "node")
            return whole, await actions.node_action(store, actions.who(operator), action, whole)

        node_id, status = run(work)
        if json_out:
            emit_json({"nodeId": node_id, "status": status})
        else:
            typer.echo(f"{node_id} is now {status}")

    command.__doc__ = doc
    app.command(action)(command)


_status_command("drain", "Stop placing new jobs on a node; its running jobs finish.")
_status_command("undrain", "Let a draining node take new jobs again.")
_status_command(
    "offline",
    "Take a node offline now; its jobs go back to the queue and it stays offline, heartbeats"
    " or not, until `lcn node online`.",
)
_status_command("online", "Bring a node an operator took offline back online.")


@app.command("run")
def run_node(
    key_file: Path = typer.Option(..., "--key", help="Key file from `lcn node keygen`."),
    agents: int = typer.Option(2, "--agents", min=1, max=64, help="Agents on this node."),
    specialize: str = typer.Option(
        "code-execution,model-inference,data-processing",
        "--specialize",
        help="Job types the agents take, comma-separated.",
    ),
    cpu: int | None = typer.Option(None, help="CPU cores offered (default: this machine's)."),
    memory: Decimal | None = typer.Option(
        None, help="Memory offered, GB (default: this machine's)."
    ),
    gpu: bool = typer.Option(False, "--gpu"),
    region: str = typer.Option("local", help="Region name."),
    lat: float = typer.Option(0.0, help="Latitude."),
    lon: float = typer.Option(0.0, help="Longitude."),
    gateway: str | None = typer.Option(None, "--gateway", help="Work through this HTTP gateway."),
    grace: float = typer.Option(10.0, help="Seconds running jobs get to finish on shutdown."),
    allow_network: bool = typer.Option(
        False,
        "--allow-network",
        help="Let code jobs that ask for it reach the internet (never this host's loopback).",
    ),
    unsafe_no_sandbox: bool = typer.Option(
        False,
        "--unsafe-no-sandbox",
        help="Run jobs WITHOUT the sandbox, as this user: only for code you trust.",
    ),
) -> None:
    """Register (or re-attach) this node, run its agents, stop cleanly on SIGINT/SIGTERM."""
    import asyncio
    import signal

    from core.models.node import JOB_TYPE_NAMES
    from core.swarm.connect import connect
    from core.swarm.executors.policy import NetworkUnavailable, node_sandbox
    from core.swarm.node_runner import NodeRunner, NodeRunnerConfig, agent_configs
    from core.swarm.provider import capabilities_for

    kinds = [k.strip() for k in specialize.split(",") if k.strip()]
    if not kinds or set(kinds) - set(JOB_TYPE_NAMES):
        fail(f"--specialize takes job types among {', '.join(JOB_TYPE_NAMES)}.")
    try:
        key = read_key(key_file)
    except InvalidInput as exc:
        fail(str(exc))
    # On the embedded Redis the agents sign in as lcn-agent: lcn's keys only, no admin commands,
    # no deletes, only the writes the agent scripts make.
    settings = Context.settings().model_copy(update={"embedded_user": "agent"})
    try:
        sandbox = node_sandbox(allow_network=allow_network, unsafe_no_sandbox=unsafe_no_sandbox)
    except NetworkUnavailable as exc:
        fail(str(exc))
    say_sandbox(sandbox, kinds)
    caps = capabilities_for(kinds, cpu=cpu, memory_gb=memory, gpu=gpu, sandbox=sandbox)
    location = {"region": region, "lat": lat, "lon": lon}

    async def main(store: Store | None) -> None:
        node, link = await connect(
            key,
            capabilities=caps,
            location=location,
            gateway_url=gateway,
            store=store,
            nonce_ttl_s=settings.nonce_ttl_s,
        )
        typer.echo(f"node {node.node_id} {node.status}: {agents} agents for {', '.join(kinds)}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        models = list(node.capabilities.models)
        runner = NodeRunner(
            link,
            agent_configs(
                node.node_id, agents, kinds, models, float(settings.lease_s), sandbox.policy
            ),
            NodeRunnerConfig(grace_s=grace),
        )
        try:
            await runner.run(stop)
        finally:
            await link.close()
        done = sum(a.stats.done for a in runner.agents)
        typer.echo(f"node {node.node_id} stopped after {done} jobs")

    if gateway:
        try:
            asyncio.run(main(None))
        except Exception as exc:  # one sentence, never a traceback
            fail(str(exc))
    else:
        run(main, settings)
