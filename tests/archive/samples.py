"""Archive rows shaped like the real thing: a finished no-op job as the pipeline benchmark
leaves it in Redis (fields copied from a run of `core_pipeline`), its journal postings, a
payout, an audit entry."""

from __future__ import annotations

import hashlib
from typing import Any

from core.archive import ArchivedJob, AuditEntry, MoneyRecord, Posting
from core.ids import record_cid

# Realistic ids: random-looking hex and base32 compress as little as real ones do.
CREATOR = "0x" + hashlib.sha256(b"creator").hexdigest()[:40]
NODE = record_cid({"node": 1})
NOOP_TASK: dict[str, Any] = {
    "type": "data-processing",
    "code": None,
    "language": None,
    "modelId": None,
    "operation": "sum",
    "input": {"values": []},
    "requirements": {"cpu": 1, "memory": 1.0, "gpu": False, "timeout": 10, "network": False},
}


def job_id(n: int) -> str:
    return record_cid({"job": n})


def noop_job(
    n: int, created_at: int, *, status: str = "completed", node: str = NODE
) -> ArchivedJob:
    """The job hash minus its columns and its empty or lease-only fields (token, fence, …)."""
    return ArchivedJob.model_validate(
        {
            "id": job_id(n),
            "status": status,
            "creator": CREATOR,
            "node": node,
            "created_at": created_at,
            "finished_at": created_at + 2,
            "cost": 51248,
            "record": {
                "task": NOOP_TASK,
                "tag": "data",
                "cpu": 1,
                "mem_mb": 1024,
                "timeout_s": 10,
                "rate": 51248,
                "estimated_cost": 512480,
                "node_share": 35873,
                "platform_share": 15375,
                "attempts": 1,
                "max_attempts": 3,
                "agent": "bench-1",
                "assigned_at": created_at,
                "started_at": created_at + 1,
                "duration_ms": 0,
                "result_cid": "bafkreic75tvwn76in44nsutynrwws3dzyln4eoo5j2i3izzj245cp62x5e",
            },
            "history": [
                f"{created_at} assigned to {node}",
                f"{created_at + 1} claimed by bench-1 (attempt 1)",
                f"{created_at + 2} completed in 0 ms, cost 51248 µUSD",
            ],
            "result": 0,
            "logs": [],
        }
    )


def job_postings(n: int, created_at: int) -> list[Posting]:
    """A job's two journal entries: the hold at submission, the settlement at completion."""
    ref = job_id(n)
    return [
        Posting(
            id=f"{created_at}-{2 * n}",
            idem=f"hold:{ref}",
            kind="hold",
            ref=ref,
            legs=[[f"creator:{CREATOR}", "escrow", 512480, "hold"]],
        ),
        Posting(
            id=f"{created_at + 2}-{2 * n + 1}",
            idem=f"settle:{ref}:0",
            kind="settle",
            ref=ref,
            legs=[
                ["escrow", f"node:{NODE}", 35873, "earn"],
                ["escrow", "platform", 15375, "fee"],
                ["escrow", f"creator:{CREATOR}", 461232, "release"],
            ],
        ),
    ]


def payout(n: int, at: int) -> MoneyRecord:
    return MoneyRecord(
        kind="payout",
        id=f"po_{n}",
        at=at,
        record={"node": NODE, "amount": 1_000_000 + n, "status": "paid", "transfer": f"tr_{n}"},
    )


def audit_entry(n: int, at: int) -> AuditEntry:
    return AuditEntry(
        id=f"{at}-{n}",
        entry={"operator": "op", "action": "payout.run", "target": NODE, "outcome": "ok"},
    )
