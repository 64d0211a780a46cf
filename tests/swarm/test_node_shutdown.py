"""A node's shutdown ends even when a cancellation is lost on the way: `lcn demo` once waited
for ever on a node whose heartbeat outlived its cancellation (the node stayed active, beating,
with every agent stopped)."""

from __future__ import annotations

import asyncio

from core import registry
from core.store import Store
from core.swarm.link import RedisLink
from core.swarm.node_runner import NodeRunner, NodeRunnerConfig
from tests.helpers import register_node


class CancelBecomesTimeout(RedisLink):
    """A link whose heartbeat turns a cancellation into a timeout (a store call that answers
    its cancellation with an error): the caller sees an OSError, which a heartbeat retries."""

    beats = 0
    swallow = True

    async def node_heartbeat(self) -> str:
        self.beats += 1
        if self.beats == 1:
            return await super().node_heartbeat()
        try:
            await asyncio.sleep(3600)  # a store call still under way when the node stops
        except asyncio.CancelledError:
            if self.swallow:
                raise TimeoutError("Timeout reading from the store") from None
            raise
        return "active"


async def test_a_node_stops_even_if_its_heartbeat_loses_the_cancellation(store: Store) -> None:
    node = await register_node(store)
    link = CancelBecomesTimeout(store, node.node_id)
    runner = NodeRunner(link, [], NodeRunnerConfig(heartbeat_s=0.05, grace_s=1))
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run(stop))
    while link.beats < 2:  # the second beat is under way
        await asyncio.sleep(0.01)
    stop.set()
    done, _ = await asyncio.wait({running}, timeout=10)
    if running not in done:  # let the test end: cancellations arrive again from here on
        link.swallow = False
        running.cancel()
        await asyncio.wait({running}, timeout=10)
    assert running in done, "the node's shutdown waited on its heartbeat"
    assert running.exception() is None
    beats = link.beats
    await asyncio.sleep(0.2)
    assert link.beats == beats  # and nothing beats for it afterwards
    assert (await registry.get_node(store, node.node_id)).status == "active"
