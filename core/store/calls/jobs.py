"""Jobs: submit, claim, complete, fail, lease, place, reassign, cancel, retry, reduce."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from core.store.calls.reply import text, whole
from core.store.connection import Store

# The placing scripts' credit arguments (core.payments.credit.CreditPolicy.argv): mode, limit.
CreditArgs = tuple[str, str]


class SubmitReply(TypedDict, total=False):
    """One job of a batch: placed or pending, or refused (`error`: "kind|sentence")."""

    status: str
    node: str  # '' while pending
    reason: str  # why it waits, '' when placed
    estimated_cost: str  # micro-USD
    error: str


async def submit_job(
    store: Store, batch: list[dict[str, Any]], credit: CreditArgs
) -> list[SubmitReply]:
    replies: list[SubmitReply] = await store.script(
        "submit_job",
        [store.keys.job(batch[0]["id"])],
        json.dumps(batch, separators=(",", ":")),
        *credit,
    )
    return replies


class TaskOffload(TypedDict):
    """An accepted job's task with its large values out (core/blobs.py): what replaces the
    inline task, and the SHA-1 of the inline one it replaces."""

    id: str
    sha1: str
    task: str
    input_cid: str  # '' when the input stays inline
    code_cid: str  # '' when the code stays inline


async def offload_task(store: Store, offloads: list[TaskOffload]) -> int:
    """Point accepted jobs' tasks at their blobs; returns how many jobs changed."""
    moved: int = await store.script(
        "offload_task",
        [store.keys.job(offloads[0]["id"])],
        json.dumps(offloads, separators=(",", ":")),
    )
    return moved


class ShardedReply(TypedDict):
    status: str
    node: str
    reason: str
    estimated_cost: int  # micro-USD, all shards


async def submit_sharded(
    store: Store, parent: dict[str, Any], shards: list[dict[str, Any]], credit: CreditArgs
) -> ShardedReply:
    reply: ShardedReply = await store.script(
        "submit_sharded",
        [store.keys.job(parent["id"])],
        json.dumps(parent, separators=(",", ":")),
        json.dumps(shards, separators=(",", ":")),
        *credit,
    )
    return reply


class ClaimReply(TypedDict):
    id: str
    type: str
    task: str  # the task's JSON, without a large input or code (core/blobs.py)
    input_cid: str  # '' when the input is inline
    code_cid: str  # '' when the code is inline
    token: str
    lease_expires_at: int
    timeout_s: int
    cpu: int
    mem_mb: int
    attempts: int
    parent: str


async def claim_job(
    store: Store,
    node_id: str,
    agent_id: str,
    lease_ms: int,
    token_salt: str,
    job_types: list[str],
    max_jobs: int,
) -> list[ClaimReply]:
    replies: list[ClaimReply] | None = await store.script(
        "claim_job",
        [store.keys.node(node_id)],
        agent_id,
        lease_ms,
        token_salt,
        json.dumps(job_types),
        max_jobs,
    )
    return replies or []


async def extend_lease(store: Store, job_id: str, token: str, lease_ms: int) -> int:
    """The lease's new expiry (ms)."""
    return whole(await store.script("extend_lease", [store.keys.job(job_id)], token, lease_ms))


async def append_logs(store: Store, job_id: str, token: str, lines: list[str], keep: int) -> int:
    """How many lines the running job now keeps (the newest `keep`)."""
    return whole(
        await store.script("append_logs", [store.keys.job(job_id)], token, json.dumps(lines), keep)
    )


class CompleteReply(TypedDict, total=False):
    """One completion of a batch, or its refusal (`error`: "kind|sentence")."""

    status: str
    duplicate: bool
    actual_cost: int
    node_share: int
    platform_share: int
    parent: str
    error: str


async def complete_job(store: Store, items: list[dict[str, Any]]) -> list[CompleteReply]:
    replies: list[CompleteReply] = await store.script(
        "complete_job", [store.keys.job(items[0]["id"])], json.dumps(items)
    )
    return replies


async def fail_job(
    store: Store,
    job_id: str,
    token: str,
    error: str,
    logs: list[str],
    mode: str,
    duration_ms: int | None,
) -> str:
    """The job's status after the failure (failed, pending, assigned)."""
    return text(
        await store.script(
            "fail_job",
            [store.keys.job(job_id)],
            token,
            error,
            json.dumps(logs),
            mode,
            "" if duration_ms is None else duration_ms,
        )
    )


class ExpiredLeases(TypedDict):
    requeued: int
    failed: int


async def expire_leases(store: Store, limit: int) -> ExpiredLeases:
    reply: ExpiredLeases = await store.script("expire_leases", [store.keys.leases], limit)
    return reply


async def place_pending(store: Store, limit: int, credit: CreditArgs, grace_ms: int) -> int:
    """How many waiting jobs were placed; jobs no registered node could ever run fail once they
    have waited `grace_ms` for one."""
    return whole(
        await store.script("place_pending", [store.keys.pending_tags], limit, *credit, grace_ms)
    )


async def reassign_job(store: Store, job_id: str, to_node: str, credit: CreditArgs) -> str:
    """The node the job went to (`to_node`, or the best other when '')."""
    return text(await store.script("reassign_job", [store.keys.job(job_id)], to_node, *credit))


async def cancel_job(store: Store, job_id: str, reason: str) -> str:
    return text(await store.script("cancel_job", [store.keys.job(job_id)], reason))


async def retry_job(store: Store, job_id: str, credit: CreditArgs) -> str:
    """The job's status after the retry (assigned or pending)."""
    return text(await store.script("retry_job", [store.keys.job(job_id)], *credit))


async def finish_reduce(store: Store, parent_id: str, result: str, result_cid: str) -> None:
    await store.script("finish_reduce", [store.keys.job(parent_id)], result, result_cid)


async def trim_stats(store: Store, oldest_bucket: int, series: list[str]) -> None:
    await store.script(
        "trim_stats", [store.keys.series("completed")], oldest_bucket, json.dumps(series)
    )
