"""`lcn bench swarm`: throughput of 1, 5 and 10 agents on jobs that wait on I/O, through the
real agents, executors and orchestrator. Agents wait on I/O concurrently, so throughput
should grow nearly with their number."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from core import jobs
from core.bench.fleet import drop_pool
from core.config import Settings
from core.identity import new_key
from core.models.job import SubmitJob
from core.store import Store, connect
from core.swarm.link import RedisLink
from core.swarm.node_runner import NodeRunner, agent_configs
from core.swarm.orchestrator import Orchestrator, OrchestratorConfig
from core.swarm.provider import register_key

IO_JOB = "import time\ntime.sleep({wait})\nprint('waited')"


def io_body(wait_s: float) -> SubmitJob:
    return SubmitJob.model_validate(
        {
            "creatorPKP": "0x" + "10" * 20,
            "task": {
                "type": "code-execution",
                "language": "python",
                "code": IO_JOB.format(wait=wait_s),
                "requirements": {"cpu": 1, "memory": 1, "timeout": 30},
            },
        }
    )


async def run_agents(store: Store, agents: int, jobs_count: int, wait_s: float) -> float:
    node = await register_key(
        store,
        new_key(),
        capabilities={
            "cpu": 256,
            "memory": 1024,
            "runtimes": ["python"],
            "jobTypes": ["code-execution"],
        },
        location={"region": "bench", "lat": 0, "lon": 0},
    )
    runner = NodeRunner(
        RedisLink(store, node.node_id),
        agent_configs(node.node_id, agents, ["code-execution"], [], 30.0),
    )
    orchestrator = Orchestrator(store, OrchestratorConfig(tick_s=0.02))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(runner.run(stop)), asyncio.create_task(orchestrator.run())]
    t0 = time.perf_counter()
    await jobs.submit_many(store, [io_body(wait_s)] * jobs_count, max_attempts=3)
    done_key = store.keys.jobs_with_status("completed")
    while await store.redis.zcard(done_key) < jobs_count:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - t0
    stop.set()
    orchestrator.stop()
    await asyncio.gather(*tasks)
    return jobs_count / elapsed


async def run_swarm_bench(
    settings: Settings, agent_counts: list[int], jobs_count: int, wait_s: float
) -> dict[str, Any]:
    results = []
    for agents in agent_counts:
        store = await connect(settings.model_copy(update={"pool": f"bench-{secrets.token_hex(4)}"}))
        try:
            rate = await run_agents(store, agents, jobs_count, wait_s)
        finally:
            await drop_pool(store)
            await store.close()
        results.append({"agents": agents, "jobsPerSecond": rate})
    base = results[0]["jobsPerSecond"]
    for r in results:
        r["speedup"] = r["jobsPerSecond"] / base
    return {"jobs": jobs_count, "ioWaitSeconds": wait_s, "results": results}


def render(report: dict[str, Any]) -> str:
    lines = [f"{report['jobs']} jobs that each wait {report['ioWaitSeconds']} s on I/O"]
    for r in report["results"]:
        lines.append(
            f"  {r['agents']:>3} agents  {r['jobsPerSecond']:>7.2f} jobs/s  "
            f"×{r['speedup']:.1f} one agent"
        )
    return "\n".join(lines)
