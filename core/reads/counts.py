"""How many nodes, jobs, agents and leases the pool holds, by state: the one counts shape that
the console's status line, `lcn status`, the health route and /metrics all report."""

from __future__ import annotations

from core.models.job import JOB_STATUSES
from core.models.node import NODE_STATUSES
from core.reads.batch import Read, Replies, command
from core.reads.model import Model
from core.store import Store


class Counts(Model):
    nodes: int
    jobs: int
    nodes_by_status: dict[str, int]
    jobs_by_status: dict[str, int]
    agents: int
    agents_live: int
    leases: int


def counts_read(store: Store) -> Read[Counts]:
    """One ZCARD per index: constant cost at any pool size."""
    keys = store.keys
    commands = {
        "nodes": command("ZCARD", keys.nodes_all),
        "jobs": command("ZCARD", keys.jobs_all),
        **{f"node:{s}": command("ZCARD", keys.nodes_with_status(s)) for s in NODE_STATUSES},
        **{f"job:{s}": command("ZCARD", keys.jobs_with_status(s)) for s in JOB_STATUSES},
        "agents": command("ZCARD", keys.agents_all),
        "agents_live": command("ZCARD", keys.agents_seen),
        "leases": command("ZCARD", keys.leases),
    }

    def decode(r: Replies) -> Counts:
        return Counts(
            nodes=int(r["nodes"]),
            jobs=int(r["jobs"]),
            nodes_by_status={s: int(r[f"node:{s}"]) for s in NODE_STATUSES},
            jobs_by_status={s: int(r[f"job:{s}"]) for s in JOB_STATUSES},
            agents=int(r["agents"]),
            agents_live=int(r["agents_live"]),
            leases=int(r["leases"]),
        )

    return Read("counts", commands, decode)
