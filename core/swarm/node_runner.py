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

from core.swarm.agent import Agent, AgentConfig
from core.swarm.executors import sweep_stale_scratch
from core.swarm.executors.cgroups import sweep_stale_groups
from core.swarm.executors.policy import SandboxPolicy
from core.swarm.link import NodeLink
from core.swarm.retry import STORE_ERRORS_OR_REFUSALS, Backoff
from core.tasks import stop_task

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
        self.heartbeat_failures = 0
        self.agent_restarts = 0

    async def _heartbeat(self, done: asyncio.Event) -> None:
        """Beat until `done`, whatever fails: a node whose heartbeat stopped while its process
        lives on would be swept offline and its jobs taken away for good. After a failure it
        tries again sooner, so the node is back as soon as the store is.

        It ends on `done`, not only when cancelled: a cancellation that comes back from a store
        call as a store error or a timeout (an OSError) is retried here like any outage, and a
        beat that outlived its cancellation kept its node's shutdown waiting, and the node
        active, for ever (seen in `lcn demo`)."""
        trouble = Backoff(first_s=0.1, max_s=self.config.heartbeat_s)
        while not done.is_set():
            try:
                await self.link.node_heartbeat()
                trouble.reset()
                pause = self.config.heartbeat_s
            except STORE_ERRORS_OR_REFUSALS as exc:
                self.heartbeat_failures += 1
                pause = trouble.next_wait()
                log.warning("node heartbeat failed (%s); retrying in %.1f s", exc, pause)
            except Exception:
                self.heartbeat_failures += 1
                pause = trouble.next_wait()
                log.exception("node heartbeat crashed; retrying in %.1f s", pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout=pause)

    async def _supervise(self, agent: Agent, stop: asyncio.Event) -> None:
        """Run an agent and, if it dies of something it does not handle itself (a bug, a
        broken executor), log it loudly and start it again after a pause: never a silent
        zombie that keeps the node registered but claims nothing."""
        trouble = Backoff(first_s=0.5, max_s=30.0)
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await agent.run()
                return  # stopped on purpose
            except Exception:
                if stop.is_set():
                    raise
                self.agent_restarts += 1
                if asyncio.get_running_loop().time() - started > 60:
                    trouble.reset()  # it ran fine for a while: this is a new problem
                pause = trouble.next_wait()
                log.exception(
                    "agent %s died; starting it again in %.1f s", agent.config.agent_id, pause
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
            if stop.is_set():
                return

    async def run(self, stop: asyncio.Event) -> None:
        # Scratch left by a node process that was killed on this machine goes first.
        await asyncio.to_thread(sweep_stale_scratch)
        await asyncio.to_thread(sweep_stale_groups)
        done = asyncio.Event()
        beat = asyncio.create_task(self._heartbeat(done))
        tasks = [asyncio.create_task(self._supervise(agent, stop)) for agent in self.agents]
        try:
            await stop.wait()
        finally:
            for agent in self.agents:
                agent.stop()
            still: set[asyncio.Task[None]] = set()
            if tasks:  # asyncio.wait refuses an empty set (a node may run no agents)
                _, still = await asyncio.wait(tasks, timeout=self.config.grace_s)
            for agent in self.agents:
                if agent.current is not None:
                    await agent.hand_back_current("Its node shut down before it finished.")
            for task in still:
                task.cancel()  # all at once; stop_task then waits for each, cancelling none twice
            for task in still:
                with contextlib.suppress(Exception):  # it died of something: it has stopped
                    await stop_task(task)
            done.set()
            await stop_task(beat)
