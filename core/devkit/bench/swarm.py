"""`lcn bench swarm`: throughput of 1, 5 and 10 agents on jobs that wait on I/O, through the
real agents, executors and orchestrator. Agents wait on I/O concurrently, so throughput
should grow nearly with their number.

It also measures what the sandbox costs: a trivial Python and JavaScript job run many times
with and without it (the same executor, in the same run), as the median run time of each."""

from __future__ import annotations

import asyncio
import secrets
import statistics
import time
from typing import Any

from core import jobs
from core.config import Settings
from core.devkit.bench.fleet import drop_pool
from core.identity import new_key
from core.models.job import SubmitJob
from core.store import Store, connect
from core.swarm.executors import Limits, run_code
from core.swarm.executors.jail import probe
from core.swarm.executors.policy import SandboxPolicy
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
    settings: Settings, agent_counts: list[int], jobs_count: int, wait_s: float, runs: int = 20
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
    report: dict[str, Any] = {"jobs": jobs_count, "ioWaitSeconds": wait_s, "results": results}
    report["sandbox"] = await sandbox_overhead(runs)
    return report


TRIVIAL = {"python": "print(1)", "javascript": "console.log(1)"}


async def sandbox_overhead(runs: int) -> dict[str, Any]:
    """Median run time of a trivial job with and without the sandbox, per language."""
    if probe() is not None:
        return {"available": False, "reason": probe()}
    limits = Limits(timeout_s=30, cpu_seconds=10, memory_mb=256)
    languages: dict[str, Any] = {}
    for language, code in TRIVIAL.items():
        medians = {}
        for name, policy in (("bare", SandboxPolicy(isolate=False)), ("sandbox", SandboxPolicy())):
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                outcome = await run_code(language, code, None, limits, policy=policy)
                times.append((time.perf_counter() - t0) * 1000)
                if not outcome.ok:
                    return {"available": False, "reason": outcome.error}
            medians[name] = statistics.median(times)
        medians["overheadMs"] = medians["sandbox"] - medians["bare"]
        languages[language] = medians
    return {"available": True, "runs": runs, "languages": languages}


def render(report: dict[str, Any]) -> str:
    lines = [f"{report['jobs']} jobs that each wait {report['ioWaitSeconds']} s on I/O"]
    for r in report["results"]:
        lines.append(
            f"  {r['agents']:>3} agents  {r['jobsPerSecond']:>7.2f} jobs/s  "
            f"×{r['speedup']:.1f} one agent"
        )
    sandbox = report["sandbox"]
    if not sandbox["available"]:
        lines.append(f"sandbox: not measured ({sandbox['reason']})")
        return "\n".join(lines)
    lines.append(f"a trivial job, median of {sandbox['runs']} runs")
    for language, m in sandbox["languages"].items():
        lines.append(
            f"  {language:<10}  without sandbox {m['bare']:>6.1f} ms  "
            f"with {m['sandbox']:>6.1f} ms  (+{m['overheadMs']:.1f} ms)"
        )
    return "\n".join(lines)
