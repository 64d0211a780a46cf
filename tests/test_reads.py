"""core.reads.batch: named reads in one pipeline, and the one NOSCRIPT reload every EVALSHA
caller shares."""

from __future__ import annotations

from typing import Any

import pytest
from redis.asyncio.client import Pipeline

from core.reads.batch import Read, ReadBatch, Replies, command, script
from core.reads.counts import counts_read
from core.reads.replies import script_reply
from core.store import Store
from tests.helpers import register_node


async def test_each_read_gets_its_replies_by_name_in_one_round_trip(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await register_node(store)
    await store.redis.hset(store.keys.prefix + "probe", mapping={"a": "1", "b": "2"})
    executes: list[int] = []
    original = Pipeline.execute

    async def counting(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        executes.append(len(self.command_stack))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "execute", counting)

    def probe(r: Replies) -> tuple[str, int]:
        return r["b"].decode(), int(r["size"])

    batch = ReadBatch(store)
    counts = batch.add(counts_read(store))
    pair = batch.add(
        Read(
            "probe",
            {
                "size": command("HLEN", store.keys.prefix + "probe"),
                "b": command("HGET", store.keys.prefix + "probe", "b"),
            },
            probe,
        )
    )
    found = await batch.run()
    assert executes == [batch.commands]
    assert found[counts].nodes == 1 and found[counts].nodes_by_status["active"] == 1
    assert found[pair] == ("2", 2)


async def test_a_name_is_read_once_per_batch(store: Store) -> None:
    batch = ReadBatch(store)
    batch.add(counts_read(store))
    with pytest.raises(ValueError, match="counts"):
        batch.add(counts_read(store))


async def test_scripts_lost_in_a_restart_are_loaded_again(store: Store) -> None:
    """After SCRIPT FLUSH (what a restarted Redis looks like), a batch's EVALSHA and a plain
    script call both load their script once more and succeed."""
    await register_node(store)
    window = Read(
        "nodes",
        {"window": script(store, "snapshot_nodes", [store.keys.nodes_all], 0, 5, "1")},
        lambda r: script_reply(r["window"]),
    )
    await store.redis.script_flush()
    batch = ReadBatch(store)
    batch.add(window)
    assert (await batch.run())[window]["total"] == 1
    await store.redis.script_flush()
    reply = await store.script("snapshot_nodes", [store.keys.nodes_all], 0, 5, "1")
    assert reply["total"] == 1
