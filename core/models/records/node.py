"""The node hash (`node:<id>`) as a typed record, and the node as the API shows it.

Prices and earnings are integer micro-USD; memory in MB (what placement counts) and GB (as the
node offered it, exact); times are Unix milliseconds."""

from __future__ import annotations

from pydantic import Field

from core.models.base import ms_to_datetime
from core.models.node import Capabilities, Location, Node, NodeLoad, Pricing
from core.models.records import fields as f
from core.models.records.base import Record
from core.money import micro_to_json, micro_to_usd

# A node registered before nodes chose their kinds of job takes all of them.
ALL_JOB_TYPES = ["code-execution", "data-processing", "model-inference"]


class NodeRecord(Record):
    node_id: str = Field(validation_alias="id")
    address: str
    public_key: str
    status: str = "offline"
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
    job_types: list[str] = ALL_JOB_TYPES
    network: bool
    sandbox: str = "bubblewrap"
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
