"""Sharding of large data-processing jobs: split on submission, reduce when the last shard
completes. The split and the reduction are the executors' own (`split_data`,
`reduce_data`), so a sharded job's result equals what one agent would compute on the whole."""

from __future__ import annotations

import json
import math
from typing import Any

from core import blobs
from core.errors import Conflict, Corrupt, InvalidInput
from core.ids import bytes_cid
from core.jobs import offload_tasks, plan_offloads, submit_fields
from core.models.job import SubmitJob, SubmitResult, Task
from core.money import micro_to_json
from core.payments.credit import CreditPolicy, policy_from_env
from core.store import Store, calls
from core.swarm.executors import ExecutionError, is_splittable, reduce_data, split_data

SHARD_ITEMS = 5_000  # items per shard
MAX_SHARDS = 8
MIN_ITEMS_TO_SPLIT = 2 * SHARD_ITEMS


def item_count(task: Task) -> int:
    """How many items a data task carries (values, rows or words)."""
    data = task.input
    if isinstance(data, dict):
        for name in ("values", "rows"):
            if isinstance(data.get(name), list):
                return len(data[name])
        if isinstance(data.get("text"), str):
            return len(data["text"].split())
    if isinstance(data, list):
        return len(data)
    return 0


def shard_count(task: Task) -> int:
    if task.type != "data-processing" or not is_splittable(task.operation or ""):
        return 1
    items = item_count(task)
    if items < MIN_ITEMS_TO_SPLIT:
        return 1
    return min(MAX_SHARDS, math.ceil(items / SHARD_ITEMS))


async def submit_sharded(
    store: Store,
    body: SubmitJob,
    shards: int,
    *,
    max_attempts: int,
    credit: CreditPolicy | None = None,
) -> SubmitResult:
    task = body.task
    try:
        inputs = split_data(task.operation or "", task.input, shards)
    except ExecutionError as exc:
        raise InvalidInput(str(exc)) from exc
    parent = submit_fields(body, max_attempts=max_attempts)
    children = []
    for index, shard_input in enumerate(inputs):
        shard_task = task.model_copy(update={"input": shard_input})
        child = SubmitJob(creator_pkp=body.creator_pkp, task=shard_task, parent=parent["id"])
        fields = submit_fields(child, max_attempts=max_attempts)
        fields["shard"] = index
        children.append(fields)
    planned = plan_offloads(store, [parent, *children])
    reply = await calls.submit_sharded(
        store, parent, children, (credit or policy_from_env()).argv()
    )
    await offload_tasks(store, planned, {parent["id"], *(child["id"] for child in children)})
    estimate = int(reply["estimated_cost"])
    return SubmitResult(
        job_id=parent["id"],
        status="running",
        assigned_node_id=None,
        estimated_cost=micro_to_json(estimate),
        estimated_cost_micro_usd=estimate,
        pending_reason=None,
    )


async def reduce_ready(store: Store, limit: int = 20) -> int:
    """Reduce the sharded jobs whose shards are all done. Safe to run from several
    orchestrators: the finishing script completes a parent once and refuses the rest."""
    ready = await store.redis.zrange(store.keys.reduce_ready, 0, limit - 1)
    reduced = 0
    for raw_id in ready:
        parent_id = raw_id.decode()
        pkey = store.keys.job(parent_id)
        async with store.redis.pipeline(transaction=False) as pipe:
            pipe.hget(pkey, "task")
            pipe.hgetall(store.keys.job_partials(parent_id))
            task_json, partials = await pipe.execute()
        result: Any = None
        try:
            task = Task.model_validate_json(task_json)
            ordered = await _partials(store, [partials[k] for k in sorted(partials, key=int)])
            result = reduce_data(task.operation or "", ordered)
        except (ExecutionError, ValueError, TypeError, Corrupt) as exc:
            result = {"error": f"The shards' results could not be combined: {exc}"}
        encoded = json.dumps(result, separators=(",", ":"), sort_keys=True).encode()
        inline, large = blobs.stash_result(encoded, blobs.inline_max(store))
        try:
            if not await blobs.put(store, large):  # no archive to keep it: inline after all
                inline = encoded.decode()
            await calls.finish_reduce(store, parent_id, inline, bytes_cid(encoded))
            reduced += 1
        except Conflict:
            pass
    return reduced


async def _partials(store: Store, raw: list[bytes]) -> list[Any]:
    """The shards' results in order; one kept as a blob (`@<cid>`) is read back and checked."""
    texts = [part.decode() for part in raw]
    refs = [ref for text in texts if (ref := blobs.partial_ref(text))]
    found = await blobs.fetch(store, refs)
    return [json.loads(found[ref] if (ref := blobs.partial_ref(t)) else t) for t in texts]
