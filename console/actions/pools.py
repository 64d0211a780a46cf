"""The k9s-style command prompt (`:`): `pool NAME` switches the console to another pool without
restarting; `replay [FROM [TO]]` and `live` start and end a replay (console.replay.control).
The poller reads the new pool from its next poll on (the same connection, the other pool's key
names); every pane, the map, filters, sorts and selections start afresh, so nothing of the old
pool stays on screen under the new pool's name."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from console import bell
from console.map_sweep import MapSweep
from console.poll_plan import PollPlan
from console.poller import one_line
from console.replay import control  # (it calls start_afresh from here: a cycle, at call time)
from console.screens.detail import DetailScreen
from console.screens.prompt import PromptScreen
from console.state import ConsoleState
from console.widgets.nodes_pane import NodesPane
from core.access.roles import Actor
from core.reads.pools import Pools, list_pools, pool_exists, pool_name_problem

if TYPE_CHECKING:
    from console.app import LcnConsole

LIST_BUDGET = 100_000  # keys the pool listing SCANs at most


def pools_words(app: LcnConsole, pools: Pools | None) -> str:
    """`pools: default, demo (current: demo)`, and whether the listing may be partial."""
    if pools is None:
        return "pool NAME switches pool (the pools could not be listed now)"
    names = sorted({*pools.names, app.settings.pool})
    listed = ", ".join(names)
    partial = "" if pools.complete else f" (scan limited to {pools.scanned:,} keys: maybe more)"
    return f"pool NAME switches pool · pools: {listed}{partial} · now on {app.settings.pool}"


async def find_pools(app: LcnConsole) -> Pools | None:
    try:
        return await list_pools((await app.poller.store()).redis, LIST_BUDGET)
    except (RedisError, OSError):
        return None


async def ask_command(app: LcnConsole) -> None:
    """`:` — a command line: `pool NAME`, or `pool` to list the pools; `replay [FROM [TO]]`,
    `live`."""
    hint = pools_words(app, None if control.replaying(app) else await find_pools(app))
    hint += " · replay [FROM [TO]] plays the recording · live ends it"
    text = await app.push_screen_wait(
        PromptScreen("Command", hint, placeholder="pool NAME · replay -1h")
    )
    if text:
        await run_command(app, text)


async def run_command(app: LcnConsole, text: str) -> None:
    word, _, rest = text.strip().lstrip(":").strip().partition(" ")
    argument = rest.strip()
    if word == "bell":  # console.bell: the terminal bell for new triage items, off or on
        bell.toggle(app)
    elif word == "replay":
        await control.start(app, argument)
    elif word == "live":
        await control.stop(app)
    elif word not in ("pool", "pools"):
        app.notify(
            f"Unknown command {word!r}: the command line knows `pool NAME`, `bell`, "
            "`replay [FROM [TO]]` and `live`.",
            title="Not done",
            severity="warning",
        )
    elif control.replaying(app):
        app.notify("`:live` first: a replay shows one pool's recording.", severity="warning")
    elif not argument:
        app.notify(pools_words(app, await find_pools(app)), timeout=6)
    else:
        await switch_pool(app, argument)


async def switch_pool(app: LcnConsole, name: str) -> bool:
    """Switch to pool `name` if it exists; else one sentence says why not."""
    current = app.settings.pool
    problem = pool_name_problem(name)
    if isinstance(app.operator, Actor):  # a key's grant is for the pool it was granted on
        problem = f"Key {app.operator.name} is granted on pool {current}; the console stays there."
    if problem is None and name == current:
        problem = f"The console is already on pool {current}."
    if problem is None:
        try:
            exists = await pool_exists((await app.poller.store()).redis, name)
        except (RedisError, OSError) as exc:
            problem = f"Could not look for pool {name!r}: {one_line(exc)}"
        else:
            if not exists:
                problem = (
                    f"There is no pool {name!r} on this Redis (no nodes, jobs or counters), "
                    f"so the console stays on {current}."
                )
    if problem is not None:
        app.notify(problem, title="Pool not switched", severity="warning", timeout=5)
        return False
    app.settings = app.settings.model_copy(update={"pool": name})
    app.poller.use_pool(app.settings)
    start_afresh(app)
    app.notify(f"Now on pool {name} (was {current}).", timeout=3)
    app.poll_now()
    return True


def start_afresh(app: LcnConsole) -> None:
    """Forget everything read from the old pool: detail screens, windows, filters, sorts,
    selections, the map, the last snapshot."""
    while isinstance(app.screen, DetailScreen):
        app.pop_screen()
    state = app.state
    state.tables = ConsoleState().tables
    state.map_sweep = MapSweep()
    state.plan = PollPlan()
    state.job_detail = state.node_detail = None
    app.snapshot = None
    app.redraw.clear()
    for pane in app.panes():
        pane.drawn = False
        table = pane.table
        table.selection = None
        table.show([])
        pane.border_subtitle = ""
    with contextlib.suppress(Exception):
        world = app.query_one("#pane-nodes", NodesPane).world_map
        world.set_cells(*world.grid_size, {})
    app.update_status()
