"""The node hash (`node:<id>`) as a typed record, and the node as the API shows it.

Prices and earnings are integer micro-USD; memory in MB (what placement counts) and GB (as the
node offered it, exact); times are Unix milliseconds."""

from __future__ import annotations

from typing import Self

from core.models.base import ms_to_datetime
from core.models.node import Capabilities, Location, Node, NodeLoad, Pricing
from core.models.records import fields as f
from core.models.records.base import Record
from core.money import micro_to_json, micro_to_usd

# A node registered before nodes chose their kinds of job takes all of them.
ALL_JOB_TYPES = ["code-execution", "data-processing", "model-inference"]


class NodeRecord(Record):
    node_id: str
    address: str
    public_key: str
    status: str
    region: str
    lat: float | None
    lon: float | None
    cpu: int
    memory_mb: int
    memory_gb: str | None  # a decimal, as offered
    storage_gb: str | None
    gpu: bool
    runtimes: list[str]
    models: list[str]
    job_types: list[str]
    network: bool
    sandbox: str
    price_cpu: int  # per cpu-second
    price_mem: int  # per GB-second
    price_storage: int
    price_gpu: int
    rate: int | None  # a 1-cpu, 1-GB job's rate: what placement compares
    reputation: int
    jobs_completed: int
    jobs_failed: int
    earnings: int
    cpu_used: int
    mem_used: int
    running: int
    registered_at: int | None
    last_seen: int | None
    stripe_account: str | None
    held_offline_by: str | None  # the operator whose offline heartbeats do not lift
    held_offline_at: int | None

    @classmethod
    def from_hash(cls, raw: f.RawHash) -> Self:
        h = f.named(raw)
        return cls(
            node_id=f.text(h.get("id")) or "",
            address=f.text(h.get("address")) or "",
            public_key=f.text(h.get("public_key")) or "",
            status=f.text(h.get("status")) or "offline",
            region=f.text(h.get("region")) or "",
            lat=f.opt_float(h.get("lat")),
            lon=f.opt_float(h.get("lon")),
            cpu=f.int_or(h.get("cpu")),
            memory_mb=f.int_or(h.get("memory_mb")),
            memory_gb=f.opt_text(h.get("memory_gb")),
            storage_gb=f.opt_text(h.get("storage_gb")),
            gpu=f.flag(h.get("gpu")),
            runtimes=f.json_list(h.get("runtimes")),
            models=f.json_list(h.get("models")),
            job_types=f.json_list(h.get("job_types")) or ALL_JOB_TYPES,
            network=f.flag(h.get("network")),
            sandbox=f.text(h.get("sandbox")) or "bubblewrap",
            price_cpu=f.int_or(h.get("price_cpu")),
            price_mem=f.int_or(h.get("price_mem")),
            price_storage=f.int_or(h.get("price_storage")),
            price_gpu=f.int_or(h.get("price_gpu")),
            rate=f.opt_int(h.get("rate")),
            reputation=f.int_or(h.get("reputation")),
            jobs_completed=f.int_or(h.get("jobs_completed")),
            jobs_failed=f.int_or(h.get("jobs_failed")),
            earnings=f.int_or(h.get("earnings")),
            cpu_used=f.int_or(h.get("cpu_used")),
            mem_used=f.int_or(h.get("mem_used")),
            running=f.int_or(h.get("running")),
            registered_at=f.opt_int(h.get("registered_at")),
            last_seen=f.opt_int(h.get("last_seen")),
            stripe_account=f.opt_text(h.get("stripe_account")),
            held_offline_by=f.opt_text(h.get("held_offline_by")),
            held_offline_at=f.opt_int(h.get("held_offline_at")),
        )

    @property
    def load(self) -> float:
        """The larger of cpu and memory use, 0–1: what "busy" is decided by."""
        cpu = self.cpu_used / self.cpu if self.cpu else 0.0
        mem = self.mem_used / self.memory_mb if self.memory_mb else 0.0
        return min(1.0, max(cpu, mem))

    def to_node(self) -> Node:
        """The node as the API and CLI show it."""
        return Node(
            node_id=self.node_id,
            pkp_address=self.address,
            public_key=self.public_key,
            capabilities=Capabilities(
                cpu=self.cpu,
                memory=self.memory_gb,  # a decimal's text
                gpu=self.gpu,
                storage=self.storage_gb,
                runtimes=self.runtimes,
                models=self.models,
                job_types=self.job_types,
                network=self.network,
                sandbox=self.sandbox,  # validated by the model
            ),
            location=Location(region=self.region, lat=self.lat, lon=self.lon),
            pricing=Pricing(
                cpu_per_second=micro_to_usd(self.price_cpu),
                memory_per_gb=micro_to_usd(self.price_mem),
                storage_per_gb=micro_to_usd(self.price_storage),
                gpu_per_second=micro_to_usd(self.price_gpu),
            ),
            status=self.status,  # validated by the model
            reputation=self.reputation,
            total_jobs_completed=self.jobs_completed,
            total_jobs_failed=self.jobs_failed,
            total_earnings=micro_to_json(self.earnings),
            total_earnings_micro_usd=self.earnings,
            load=NodeLoad(
                cpu_used=self.cpu_used, memory_used_mb=self.mem_used, running_jobs=self.running
            ),
            registered_at=ms_to_datetime(self.registered_at),
            last_seen=ms_to_datetime(self.last_seen),
            stripe_account=self.stripe_account,
        )


def node_from_hash(raw: f.RawHash) -> Node:
    """A node hash as the API shows it."""
    return NodeRecord.from_hash(raw).to_node()
