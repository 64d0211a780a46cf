"""A console acting as an SSH key refuses, before any dialog, what the key's role may not do;
the core would refuse it anyway (tests/access/test_roles.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from console.actions import pools
from console.screens.confirm import ConfirmScreen
from console.screens.export import ExportScreen
from console.shots import settle
from core import access, actions, events
from core.devkit.seed import SeedSummary
from core.store import Store
from tests.access.keyfiles import key_pair
from tests.console.conftest import RecordingConsole, press
from tests.console.test_app import select_row

Make = Callable[..., RecordingConsole]


async def test_an_operator_key_is_refused_money_in_the_console(
    make_console: Make, seeded: SeedSummary, store: Store, tmp_path: Path
) -> None:
    _, public = key_pair(tmp_path, "otto")
    await actions.grant_key(store, "admin@test", "otto", str(public), "operator")
    (key,) = await access.list_keys(store)
    app = make_console(operator=key.actor())
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "1", "z")
        rows = app.snapshot.nodes.rows if app.snapshot and app.snapshot.nodes else []
        select_row(app, "nodes", next(r.node_id for r in rows if r.status == "active"))
        await press(pilot, app, "dollar_sign")
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.said("Key otto has the operator role; payout.run needs the admin role.")
        await press(pilot, app, "d")  # an operator's action: asked, as for anyone
        assert isinstance(app.screen, ConfirmScreen)
    assert [a["action"] for a in await events.recent_audit(store)] == ["access.add"]


async def test_a_key_console_stays_on_its_pool_and_writes_no_file_on_the_server(
    make_console: Make, seeded: SeedSummary, store: Store, tmp_path: Path
) -> None:
    _, public = key_pair(tmp_path, "vera")
    await actions.grant_key(store, "admin@test", "vera", str(public), "viewer")
    (key,) = await access.list_keys(store)
    app = make_console(operator=key.actor())
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        assert not await pools.switch_pool(app, "default")
        assert app.said(f"Key vera is granted on pool {store.pool}; the console stays there.")
        await press(pilot, app, "2", "e")
        assert not isinstance(app.screen, ExportScreen)
        assert app.said("Export is off over SSH")
