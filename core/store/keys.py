"""Key names. Every key of a pool carries the hash tag `{pool}`, so a pool lives in one slot
of a Redis Cluster and its scripts stay atomic. The Lua scripts build the same names from the
prefix they receive as ARGV[1] (`P .. 'job:' .. id`, in each script and in lua/include/*.lua);
keep the two in step."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    pool: str

    @property
    def prefix(self) -> str:
        return f"lcn:{{{self.pool}}}:"

    def node(self, node_id: str) -> str:
        return f"{self.prefix}node:{node_id}"

    def node_by_address(self, address: str) -> str:
        return f"{self.prefix}node-by-address:{address.lower()}"

    def nonce(self, nonce: str) -> str:
        return f"{self.prefix}nonce:{nonce}"

    def nodes_with_status(self, status: str) -> str:
        return f"{self.prefix}nodes:status:{status}"

    @property
    def nodes_all(self) -> str:
        return f"{self.prefix}nodes:all"

    @property
    def nodes_seen(self) -> str:
        return f"{self.prefix}nodes:seen"

    def sched_index(self, tag: str) -> str:
        return f"{self.prefix}sched:{tag}"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def jobs_with_status(self, status: str) -> str:
        return f"{self.prefix}jobs:status:{status}"

    @property
    def jobs_all(self) -> str:
        return f"{self.prefix}jobs:all"

    @property
    def leases(self) -> str:
        return f"{self.prefix}leases"

    @property
    def events(self) -> str:
        return f"{self.prefix}events"

    @property
    def audit(self) -> str:
        return f"{self.prefix}audit"

    @property
    def balances(self) -> str:
        return f"{self.prefix}ledger:balances"

    @property
    def journal(self) -> str:
        return f"{self.prefix}ledger:journal"

    @property
    def sweep_lock(self) -> str:
        return f"{self.prefix}lock:sweep"
