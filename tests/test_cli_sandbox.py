"""What the CLI says about the job sandbox: at node start, and in `lcn node list`."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.config import Settings
from core.identity import new_key, write_key
from core.store import connect
from tests.helpers import register_node


def test_network_without_the_sandbox_is_refused_in_one_sentence(lcn, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "node.key"
    write_key(new_key(), key)
    refused = lcn(
        "node", "run", "--key", str(key), "--allow-network", "--unsafe-no-sandbox", ok=False
    )
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "error: --allow-network needs the sandbox; it cannot go with --unsafe-no-sandbox."
    ]


def test_node_list_shows_each_nodes_sandbox(lcn, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    async def register_four() -> None:
        store = await connect(settings)
        for extra in ({}, {"network": True}, {"sandbox": "unavailable"}, {"sandbox": "off"}):
            await register_node(store, capabilities={"runtimes": ["python"], **extra})
        await store.close()

    asyncio.run(register_four())
    listed = lcn("node", "list").stdout
    assert "SANDBOX" in listed.splitlines()[0]
    for shown in ("bwrap+net", "none: no code jobs", "OFF (unsafe)"):
        assert shown in listed, listed
    assert sum(" bwrap " in f"{line} " for line in listed.splitlines()) == 1
