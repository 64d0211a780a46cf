"""The nodes that could take a job now, for the reassign dialog (snapshot_capable.lua)."""

from __future__ import annotations

from pydantic import Field

from core.models.records.fields import int_or, text
from core.reads.model import Model
from core.reads.replies import listed
from core.store import Store


class CapableNode(Model):
    node_id: str
    region: str
    status: str
    cpu: int
    cpu_used: int
    reputation: int
    rate: int
    fits: bool


class Capable(Model):
    found: bool
    tag: str = ""
    current: str | None = None
    status: str = ""
    capable: int = 0
    nodes: list[CapableNode] = Field(default_factory=list)


async def capable_nodes(store: Store, job_id: str, limit: int = 32) -> Capable:
    """One script call, outside any poll: the dialog asks once when it opens."""
    reply = await store.script("snapshot_capable", [store.keys.job(job_id)], limit)
    reply = reply if isinstance(reply, dict) else {}
    return Capable(
        found=bool(reply.get("found")),
        tag=text(reply.get("tag")) or "",
        current=text(reply.get("current")) or None,
        status=text(reply.get("status")) or "",
        capable=int_or(reply.get("capable")),
        nodes=[
            CapableNode(
                node_id=str(node_id),
                region=text(region) or "",
                status=text(status) or "",
                cpu=int_or(cpu),
                cpu_used=int_or(cpu_used),
                reputation=int_or(reputation),
                rate=int_or(rate),
                fits=bool(fits),
            )
            for node_id, region, status, cpu, cpu_used, reputation, rate, fits in listed(
                reply, "nodes"
            )
        ],
    )
