"""The job lifecycle: submit (and place), claim with a lease, extend, complete, fail, and the
sweeps. Each state change is one Lua script, so one round trip and atomic."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from core import blobs
from core.config import unplaceable_grace_from_env
from core.errors import Conflict, InvalidInput, LcnError, NotFound
from core.ids import bytes_cid, check_cid, text_record_cid
from core.log_lines import printable
from core.models.job import JOB_STATUSES, JOB_TYPES, Job, SubmitJob, SubmitResult, Task
from core.models.node import Pricing
from core.models.records.fields import decode_hash
from core.models.records.job import job_from_hash
from core.money import micro_to_json, usd_to_micro
from core.payments.credit import TRUSTED, CreditPolicy, policy_from_env
from core.store import Store, calls
from core.store.reads import hashes, zpage
from core.wire.leases import ClaimedJob

if TYPE_CHECKING:
    from core.job_list import JobPage

_LIST = Pricing()  # the network's list prices, the same defaults a node registers with
LIST_RATE = {
    "cpu": usd_to_micro(_LIST.cpu_per_second),
    "mem_per_gb": usd_to_micro(_LIST.memory_per_gb),
    "gpu": usd_to_micro(_LIST.gpu_per_second),
}
MAX_LOG_LINES = 200
MAX_LOG_LINE = 500

log = logging.getLogger("lcn.jobs")


def list_price_estimate(task: Task) -> int:
    """What a job would cost at list prices, shown while it waits for a node."""
    req = task.requirements
    rate = req.cpu * LIST_RATE["cpu"] + req.memory_mb * LIST_RATE["mem_per_gb"] // 1024
    rate += LIST_RATE["gpu"] if req.gpu else 0
    return rate * req.timeout


def submit_fields(body: SubmitJob, *, max_attempts: int) -> dict[str, Any]:
    """The job hash's fields for a submission (the scripts add times, state and counters)."""
    task = body.task
    task_json = json.dumps(task.wire(), separators=(",", ":"))
    # The id names the creator, a digest of the task and a salt (two identical submissions are
    # two jobs); a small record keeps the id cheap to compute on the submission path.
    job_id = text_record_cid(
        {
            "creatorPKP": body.creator_pkp,
            "task": hashlib.sha256(task_json.encode()).hexdigest(),
            "salt": secrets.token_hex(8),
        }
    )
    req = task.requirements
    fields: dict[str, Any] = {
        "id": job_id,
        "creator": body.creator_pkp,
        "type": task.type,
        "tag": task.tag,
        "task": task_json,
        "cpu": req.cpu,
        "mem_mb": req.memory_mb,
        "gpu": int(req.gpu),
        "timeout_s": req.timeout,
        "max_attempts": max_attempts,
        "estimated_cost": list_price_estimate(task),
        "parent": body.parent or "",
    }
    # The creator's price ceiling, in micro-USD as strings (exact in Lua); absent when not set.
    for field, cap in (
        ("max_cost", req.max_cost),
        ("max_cpu", req.max_cpu_per_second),
        ("max_mem", req.max_memory_per_gb),
        ("max_gpu", req.max_gpu_per_second),
    ):
        if cap is not None:
            fields[field] = str(usd_to_micro(cap))
    return fields


def _credit(credit: CreditPolicy | None) -> tuple[str, str]:
    """The placing scripts' credit arguments; without a policy, the environment's."""
    return (credit or policy_from_env()).argv()


async def submit(
    store: Store, body: SubmitJob, *, max_attempts: int, credit: CreditPolicy | None = None
) -> SubmitResult:
    """Create the job and place it, in one round trip. `credit` decides whose holds may be
    taken; the default trusts the creator (in-process tools: benchmarks, fixtures). Every way
    in from outside (core.submission: gateway, CLI, demo) passes its network's policy."""
    result = (await submit_many(store, [body], max_attempts=max_attempts, credit=credit))[0]
    if isinstance(result, LcnError):
        raise result
    return result


async def submit_many(
    store: Store,
    bodies: list[SubmitJob],
    *,
    max_attempts: int,
    credit: CreditPolicy | None = None,
) -> list[SubmitResult | LcnError]:
    """Create and place a batch of jobs in one round trip (a producer's bulk submission); each
    is held at its node's rate only if its creator can afford it under `credit` (default:
    trusted, as `submit`), else refused."""
    if not bodies:
        return []
    batch = [submit_fields(body, max_attempts=max_attempts) for body in bodies]
    planned = plan_offloads(store, batch)
    replies = await calls.submit_job(store, batch, (credit or TRUSTED).argv())
    if planned:
        accepted = {
            f["id"] for f, reply in zip(batch, replies, strict=True) if "error" not in reply
        }
        await offload_tasks(store, planned, accepted)
    results: list[SubmitResult | LcnError] = []
    for fields, reply in zip(batch, replies, strict=True):
        if "error" in reply:
            results.append(item_error(reply["error"]))
            continue
        results.append(
            SubmitResult(
                job_id=fields["id"],
                status=reply["status"],
                assigned_node_id=reply["node"] or None,
                estimated_cost=micro_to_json(int(reply["estimated_cost"])),
                estimated_cost_micro_usd=int(reply["estimated_cost"]),
                pending_reason=reply["reason"] or None,
            )
        )
    return results


Offload = tuple[calls.TaskOffload, dict[str, bytes]]  # and the bytes it refers to, by CID


def plan_offloads(store: Store, batch: list[dict[str, Any]]) -> list[Offload]:
    """Which submissions' large input or code go to the blob table once they are accepted
    (core/blobs.py). The submissions are left as they are: jobs are created with their task
    inline, so one the network refuses (no credit, say) never leaves bytes in the archive."""
    limit = blobs.inline_max(store)
    planned: list[Offload] = []
    for fields in batch:
        stripped = {"task": fields["task"]}
        if found := blobs.stash_task(stripped, limit):
            inline = hashlib.sha1(fields["task"].encode(), usedforsecurity=False).hexdigest()
            offload = calls.TaskOffload(
                id=fields["id"],
                sha1=inline,
                task=stripped["task"],
                input_cid=stripped.get(blobs.INPUT_CID, ""),
                code_cid=stripped.get(blobs.CODE_CID, ""),
            )
            planned.append((offload, found))
    return planned


async def offload_tasks(store: Store, planned: list[Offload], accepted: set[str]) -> None:
    """Move the accepted jobs' large values to the blob table: the bytes are stored first, then
    the jobs refer to them. The jobs exist already, so nothing here fails a submission: with the
    archive or Redis unable, the values stay inline (Redis holds more; logged)."""
    taken = [(offload, found) for offload, found in planned if offload["id"] in accepted]
    if not taken:
        return
    try:
        if await blobs.put(store, {cid: data for _, found in taken for cid, data in found.items()}):
            await calls.offload_task(store, [offload for offload, _ in taken])
    except (LcnError, RedisError) as exc:
        log.warning("large task values stay inline in Redis: %s", exc)


def item_error(text: str) -> LcnError:
    """A batch script's per-item refusal ("kind|sentence") as the matching exception."""
    kind, _, message = text.partition("|")
    return {"not_found": NotFound, "conflict": Conflict, "invalid": InvalidInput}.get(
        kind, LcnError
    )(message)


async def get_job(store: Store, job_id: str) -> Job:
    """The job from Redis, or else from the archive (marked archived)."""
    return (await _read_job(store, job_id, history=False))[0]


async def get_job_with_history(store: Store, job_id: str) -> tuple[Job, list[str]]:
    """The job and its whole history, from Redis or else from the archive."""
    return await _read_job(store, job_id, history=True)


async def _read_job(store: Store, job_id: str, *, history: bool) -> tuple[Job, list[str]]:
    check_cid(job_id, what="job id")
    async with store.redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(store.keys.job(job_id))
        if history:
            pipe.lrange(store.keys.job_history(job_id), 0, -1)
        replies = await pipe.execute()
    if replies[0]:
        fields = await blobs.resolve(store, decode_hash(replies[0]))
        return job_from_hash(fields), [e.decode() for e in replies[1]] if history else []
    # Imported here: the archive's database drivers load only when a read needs them.
    from core import archived_jobs

    archived = await archived_jobs.find(store, job_id)
    if archived is None:
        raise NotFound(f"No job {job_id} in pool {store.pool}.")
    whole = await blobs.resolve(store, archived.fields)
    job = job_from_hash(whole).model_copy(update={"archived": True})
    return job, archived.history if history else []


async def get_jobs(store: Store, job_ids: list[str]) -> list[Job]:
    rows = await hashes(store, [store.keys.job(j) for j in job_ids])
    found = await blobs.resolve_many(store, [decode_hash(raw) for raw in rows if raw])
    return [job_from_hash(fields) for fields in found]


async def job_history(store: Store, job_id: str) -> list[str]:
    return [e.decode() for e in await store.redis.lrange(store.keys.job_history(job_id), 0, -1)]


def check_status(status: str | None) -> None:
    if status is not None and status not in JOB_STATUSES:
        raise InvalidInput(f"Unknown job status {status!r}; use one of {', '.join(JOB_STATUSES)}.")


async def list_job_ids(
    store: Store,
    *,
    status: str | None = None,
    node_id: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[str], int]:
    """A page of job ids, newest first: all jobs, one state's, or one node's."""
    check_status(status)
    if node_id is not None:
        check_cid(node_id, what="node id")
        key = store.keys.node_history(node_id)
    elif status is not None:
        key = store.keys.jobs_with_status(status)
    else:
        key = store.keys.jobs_all
    return await zpage(store, key, offset, limit, newest_first=True)


async def list_jobs(
    store: Store,
    *,
    status: str | None = None,
    node_id: str | None = None,
    archived: bool = False,
    offset: int = 0,
    cursor: str | None = None,
    limit: int = 100,
) -> JobPage:
    """A page of jobs, newest first: live ones, then archived ones (see core/job_list.py)."""
    from core import job_list  # the archive's drivers load only when a list is asked for

    return await job_list.list_jobs(
        store,
        status=status,
        node_id=node_id,
        archived=archived,
        offset=offset,
        cursor=cursor,
        limit=limit,
    )


async def claim(
    store: Store, node_id: str, agent_id: str, job_types: list[str], lease_s: float
) -> ClaimedJob | None:
    claims = await claim_many(store, node_id, agent_id, job_types, lease_s, max_jobs=1)
    return claims[0] if claims else None


async def claim_many(
    store: Store,
    node_id: str,
    agent_id: str,
    job_types: list[str],
    lease_s: float,
    *,
    max_jobs: int,
) -> list[ClaimedJob]:
    """Claim up to `max_jobs` jobs queued on the node, each with its own lease."""
    unknown = set(job_types) - set(JOB_TYPES)
    if unknown or not job_types:
        raise InvalidInput(f"Job types must be among {', '.join(JOB_TYPES)}.")
    if not 1 <= max_jobs <= 1000:
        raise InvalidInput("A claim takes between 1 and 1000 jobs.")
    replies = await calls.claim_job(
        store, node_id, agent_id, int(lease_s * 1000), secrets.token_hex(8), job_types, max_jobs
    )
    # A large input or code comes back from the blob table: the agent gets the task whole.
    try:
        found = await blobs.fetch(store, [c for r in replies for c in _task_refs(r)])
    except LcnError:
        return await _claims_one_by_one(store, replies)
    return [_claim(reply, found) for reply in replies]


def _task_refs(reply: calls.ClaimReply) -> list[str]:
    return [cid for cid in (reply["input_cid"], reply["code_cid"]) if cid]


async def _claims_one_by_one(store: Store, replies: list[calls.ClaimReply]) -> list[ClaimedJob]:
    """A claimed job whose blob cannot be read here (missing from this host's archive, or
    altered) goes back to the queue as the node's fault, its reason in its history; after its
    last attempt it fails for good with that reason. The others are handed out as usual."""
    claims = []
    for reply in replies:
        try:
            found = await blobs.fetch(store, _task_refs(reply))
        except LcnError as exc:
            with contextlib.suppress(LcnError):  # its lease moved on meanwhile: nothing to do
                await fail(store, reply["id"], reply["token"], error=str(exc), retryable=True)
            continue
        claims.append(_claim(reply, found))
    return claims


def _claim(reply: calls.ClaimReply, found: dict[str, bytes]) -> ClaimedJob:
    task = blobs.task_json(reply["task"], reply["input_cid"], reply["code_cid"], found)
    return ClaimedJob(
        job_id=reply["id"],
        type=reply["type"],
        task=Task.model_validate_json(task),
        token=reply["token"],
        lease_expires_at=int(reply["lease_expires_at"]),
        timeout_s=int(reply["timeout_s"]),
        cpu=int(reply["cpu"]),
        mem_mb=int(reply["mem_mb"]),
        attempts=int(reply["attempts"]),
        parent=reply["parent"],
    )


async def extend_lease(store: Store, job_id: str, token: str, lease_s: float) -> int:
    return await calls.extend_lease(store, job_id, token, int(lease_s * 1000))


async def append_logs(store: Store, job_id: str, token: str, lines: list[str]) -> int:
    """A running job's new log lines, for the console to follow; the job keeps the newest
    MAX_LOG_LINES, each cut to MAX_LOG_LINE and made printable. Only the lease holder may add
    them (a refusal is a Conflict: the lease is someone else's, or the job is over)."""
    if not lines:
        raise InvalidInput("No log lines were given.")
    tail = lines[-MAX_LOG_LINES:]  # only the newest are kept: send no more than those
    return await calls.append_logs(
        store, job_id, token, [printable(line, MAX_LOG_LINE) for line in tail], MAX_LOG_LINES
    )


def cap_logs(logs: list[str]) -> list[str]:
    kept = [printable(line, MAX_LOG_LINE) for line in logs[:MAX_LOG_LINES]]
    if len(logs) > MAX_LOG_LINES:
        kept.append(f"… {len(logs) - MAX_LOG_LINES} more lines not kept")
    return kept


@dataclass(frozen=True)
class Completion:
    job_id: str
    token: str
    duration_ms: int
    output: Any
    logs: list[str]


async def complete(
    store: Store,
    job_id: str,
    token: str,
    *,
    duration_ms: int,
    output: Any,
    logs: list[str] | None = None,
) -> calls.CompleteReply:
    """Report success. The result is content-addressed; a large one is kept in the blob table."""
    reply = (
        await complete_many(store, [Completion(job_id, token, duration_ms, output, logs or [])])
    )[0]
    if isinstance(reply, LcnError):
        raise reply
    return reply


async def complete_many(
    store: Store, completions: list[Completion]
) -> list[calls.CompleteReply | LcnError]:
    """Report a batch of successes in one round trip; each is fenced by its own lease."""
    if not completions:
        return []
    items: list[dict[str, Any]] = []
    limit = blobs.inline_max(store)
    large: dict[str, bytes] = {}
    for done in completions:
        encoded = json.dumps(done.output, separators=(",", ":"), sort_keys=True).encode()
        cid = bytes_cid(encoded)
        inline, found = blobs.stash_result(encoded, limit)
        large.update(found)
        items.append(
            {
                "id": done.job_id,
                "token": done.token,
                "duration_ms": max(0, int(done.duration_ms)),
                "result": inline,
                "result_cid": cid,
                "logs": json.dumps(cap_logs(done.logs)),
            }
        )
    # Stored before the jobs refer to them, and only for reports whose lease is current: a stale
    # or made-up token is refused by the script anyway, and must not leave bytes in the archive.
    holders = await _lease_holders(store, [item for item in items if not item["result"]])
    wanted = {item["result_cid"] for item in items if item["id"] in holders}
    if not await blobs.put(store, {cid: data for cid, data in large.items() if cid in wanted}):
        wanted = set()  # no archive to keep them: inline after all
    for item in items:
        if not item["result"] and item["result_cid"] not in wanted:
            item["result"] = large[item["result_cid"]].decode()
    replies = await calls.complete_job(store, items)
    return [item_error(r["error"]) if "error" in r else r for r in replies]


async def _lease_holders(store: Store, items: list[dict[str, Any]]) -> set[str]:
    """The ids of the reports whose token holds the job's lease now. A token that does not can
    never again (leases get new random tokens), and a report sent again after its job completed
    is answered without being written, so neither needs its result stored."""
    if not items:
        return set()
    async with store.redis.pipeline(transaction=False) as pipe:
        for item in items:
            pipe.hmget(store.keys.job(item["id"]), "status", "lease_token")
        found = await pipe.execute()
    return {
        item["id"]
        for item, (status, lease) in zip(items, found, strict=True)
        if status == b"running" and lease == item["token"].encode()
    }


async def fail(
    store: Store,
    job_id: str,
    token: str,
    *,
    error: str,
    logs: list[str] | None = None,
    retryable: bool = False,
    duration_ms: int | None = None,
) -> str:
    """Report failure. The job's own fault (its code failed) ends it and bills the time it ran
    like a completion: the agent's `duration_ms`, capped by the time the lease was held (that
    time when the agent does not say); a node's fault (`retryable`) requeues it unbilled."""
    mode = "1" if retryable else "0"
    return await _fail(store, job_id, token, error, logs, mode, duration_ms)


async def hand_back(store: Store, job_id: str, token: str, reason: str) -> str:
    """A node shutting down returns a claimed job: requeued, no fault, attempt not counted,
    nothing billed."""
    return await _fail(store, job_id, token, reason, [], "handback", None)


async def _fail(
    store: Store,
    job_id: str,
    token: str,
    error: str,
    logs: list[str] | None,
    mode: str,
    duration_ms: int | None,
) -> str:
    return await calls.fail_job(
        store,
        job_id,
        token,
        error[:1000],
        cap_logs(logs or []),
        mode,
        None if duration_ms is None else max(0, int(duration_ms)),
    )


async def expire_leases(store: Store, limit: int = 500) -> calls.ExpiredLeases:
    return await calls.expire_leases(store, limit)


async def place_pending(
    store: Store,
    limit: int = 500,
    *,
    credit: CreditPolicy | None = None,
    unplaceable_grace_s: int | None = None,
) -> int:
    """Place waiting jobs (at most `limit`); a job no registered node could ever run fails once
    it has waited `unplaceable_grace_s` (default LCN_UNPLACEABLE_GRACE) for one."""
    grace = unplaceable_grace_from_env() if unplaceable_grace_s is None else unplaceable_grace_s
    if grace < 0:
        raise InvalidInput("The grace of an unplaceable job must be 0 seconds or more.")
    return await calls.place_pending(store, limit, _credit(credit), grace * 1000)


async def reassign(
    store: Store, job_id: str, to_node: str | None = None, *, credit: CreditPolicy | None = None
) -> str:
    check_cid(job_id, what="job id")
    if to_node:
        check_cid(to_node, what="node id")
    return await calls.reassign_job(store, job_id, to_node or "", _credit(credit))


async def cancel(store: Store, job_id: str, reason: str = "Cancelled by an operator.") -> str:
    check_cid(job_id, what="job id")
    return await calls.cancel_job(store, job_id, reason)


async def retry(store: Store, job_id: str, *, credit: CreditPolicy | None = None) -> str:
    check_cid(job_id, what="job id")
    return await calls.retry_job(store, job_id, _credit(credit))
