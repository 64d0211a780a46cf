"""A node at work: its heartbeat and its agents, until it is told to stop.

Stopping is graceful: agents stop claiming, running jobs get `grace_s` to finish, and whatever
is still running after that is handed back to the queue (no fault, attempt not counted), so a
clean shutdown never loses or strands a job. A crash (SIGKILL) is covered by leases instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from core.errors import LcnError
from core.swarm.agent import Agent, AgentConfig
from core.swarm.executors import sweep_stale_scratch
from core.swarm.executors.cgroups import sweep_stale_groups
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.link import NodeLink

log = logging.getLogger("lcn.node")


@dataclass
class NodeRunnerConfig:
    heartbeat_s: float = 5.0
    grace_s: float = 10.0


def agent_configs(
    node_id: str,
    count: int,
    specialisations: list[str],
    models: list[str],
    lease_s: float,
    sandbox: SandboxPolicy | None = None,
) -> list[AgentConfig]:
    """Agent ids are stable per node and slot, so a restarted node re-attaches its agents."""
    return [
        AgentConfig(
            agent_id=f"{node_id[-8:]}-{i}",
            specialisations=specialisations,
            models=models if "model-inference" in specialisations else [],
            lease_s=lease_s,
            sandbox=sandbox or SandboxPolicy(),
        )
        for i in range(count)
    ]


class NodeRunner:
    def __init__(
        self, link: NodeLink, agents: list[AgentConfig], config: NodeRunnerConfig | None = None
    ) -> None:
        self.link = link
        self.config = config or NodeRunnerConfig()
        self.agents = [Agent(link, a) for a in agents]

    async def _heartbeat(self) -> None:
        while True:
            try:
                await self.link.node_heartbeat()
            except (LcnError, OSError) as exc:
                log.warning("node heartbeat failed: %s", exc)
            await asyncio.sleep(self.config.heartbeat_s)

    async def run(self, stop: asyncio.Event) -> None:
        # Scratch left by a node process that was killed on this machine goes first.
        await asyncio.to_thread(sweep_stale_scratch)
        await asyncio.to_thread(sweep_stale_groups)
        beat = asyncio.create_task(self._heartbeat())
        tasks = [asyncio.create_task(agent.run()) for agent in self.agents]
        try:
            await stop.wait()
        finally:
            for agent in self.agents:
                agent.stop()
            _, still = await asyncio.wait(tasks, timeout=self.config.grace_s)
            for agent in self.agents:
                if agent.current is not None:
                    await agent.hand_back_current("Its node shut down before it finished.")
            for task in still:
                task.cancel()
            for task in still:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
