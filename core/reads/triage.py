"""What needs a human, most severe first: snapshot_triage.lua finds it (jobs past their
timeout, offline nodes, whether still holding jobs or silent with no operator's hold, stalled
agents, pending jobs no node can run, recent failures, a failed ledger check, a Stripe key that
is refused, payouts that failed, a queue whose oldest job has waited too long) and each finding
becomes an item of its own kind with the facts it is about. core/reads/triage_words.py words
them, for the console and for alerts (core/alerts)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from core.config import DEFAULT_QUEUE_AGE_S
from core.models.records.fields import int_or, opt_int, text
from core.reads.batch import Read, Replies, script
from core.reads.model import Model
from core.reads.replies import listed, script_reply
from core.store import Store

Severity = Literal["critical", "high", "medium", "low"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}


class _Finding(Model):
    severity: Severity
    target: str = Field(description="The job, node, agent or tag the item is about.")
    since_ms: int | None = None


class RedisOutOfMemory(_Finding):
    kind: Literal["redis_memory"] = "redis_memory"
    target_kind: Literal["redis"] = "redis"
    reason: str = Field(description="How full it is and what fails meanwhile.")


class LedgerCheckFailed(_Finding):
    kind: Literal["ledger"] = "ledger"
    target_kind: Literal["ledger"] = "ledger"
    problems: str | None = Field(description="What the last check found, if it said.")
    payouts_stopped: bool


class StripeKeyRefused(_Finding):
    kind: Literal["stripe_key"] = "stripe_key"
    target_kind: Literal["payments"] = "payments"
    http_status: str | None
    error: str | None = Field(description="Stripe's own words, when it gave them.")
    payouts_held: int


class PayoutsFailed(_Finding):
    kind: Literal["payouts_failed"] = "payouts_failed"
    target_kind: Literal["payments"] = "payments"
    failed: int = Field(description="Payouts that failed for good and wait for a retry.")


class QueueStale(_Finding):
    kind: Literal["queue_age"] = "queue_age"
    target_kind: Literal["queue"] = "queue"
    oldest_job: str
    waiting: int = Field(description="Pending jobs that have waited longer than the threshold.")
    threshold_s: int


class JobOverdue(_Finding):
    kind: Literal["overdue"] = "overdue"
    target_kind: Literal["job"] = "job"
    job_type: str | None
    node_id: str | None
    agent_id: str | None


class OfflineNodeHolding(_Finding):
    kind: Literal["offline_holding"] = "offline_holding"
    target_kind: Literal["node"] = "node"
    region: str | None
    jobs_held: int


class NodeOffline(_Finding):
    kind: Literal["offline"] = "offline"
    target_kind: Literal["node"] = "node"
    region: str | None


class AgentStalled(_Finding):
    kind: Literal["stalled_agent"] = "stalled_agent"
    target_kind: Literal["agent"] = "agent"
    node_id: str | None


class TagUnrunnable(_Finding):
    kind: Literal["unrunnable"] = "unrunnable"
    target_kind: Literal["tag"] = "tag"
    jobs_waiting: int


class JobFailed(_Finding):
    kind: Literal["failed"] = "failed"
    target_kind: Literal["job"] = "job"
    job_type: str | None
    node_id: str | None
    error: str | None
    attempts: int


TriageItem = Annotated[
    RedisOutOfMemory
    | LedgerCheckFailed
    | StripeKeyRefused
    | PayoutsFailed
    | QueueStale
    | JobOverdue
    | OfflineNodeHolding
    | NodeOffline
    | AgentStalled
    | TagUnrunnable
    | JobFailed,
    Field(discriminator="kind"),
]


class Triage(Model):
    items: list[TriageItem]
    overdue_count: int
    failed_count: int


def triage_from_reply(reply: dict[str, Any], queue_age_s: int = DEFAULT_QUEUE_AGE_S) -> Triage:
    """Turn the triage script's findings into items, most severe first."""
    items: list[TriageItem] = []
    ledger = reply.get("ledger") or {}
    if isinstance(ledger, dict) and ledger.get("balanced") in ("0", "false", "False"):
        items.append(
            LedgerCheckFailed(
                severity="critical",
                target="ledger",
                problems=text(ledger.get("problems")),
                payouts_stopped=ledger.get("payable") == "0",
                since_ms=opt_int(ledger.get("checked_at")),
            )
        )
    refused = listed(reply, "stripe_key")
    if len(refused) == 4:
        status, error, since, held = refused
        items.append(
            StripeKeyRefused(
                severity="critical",
                target="stripe",
                http_status=text(status),
                error=text(error),
                payouts_held=int_or(held),
                since_ms=opt_int(since),
            )
        )
    payouts = listed(reply, "payouts_failed")
    if len(payouts) == 2:
        items.append(
            PayoutsFailed(
                severity="high",
                target="payouts",
                failed=int_or(payouts[0]),
                since_ms=opt_int(payouts[1]),
            )
        )
    queue = listed(reply, "queue_age")
    if len(queue) == 3:
        items.append(
            QueueStale(
                severity="high",
                target="queue",
                oldest_job=str(queue[0]),
                waiting=int_or(queue[2]),
                threshold_s=queue_age_s,
                since_ms=opt_int(queue[1]),
            )
        )
    for job_id, deadline, job_type, node, agent, _status in listed(reply, "overdue"):
        items.append(
            JobOverdue(
                severity="high",
                target=str(job_id),
                job_type=text(job_type) or None,
                node_id=text(node) or None,
                agent_id=text(agent) or None,
                since_ms=opt_int(deadline),
            )
        )
    for node_id, held, region, last_seen in listed(reply, "offline_holding"):
        items.append(
            OfflineNodeHolding(
                severity="high",
                target=str(node_id),
                region=text(region) or None,
                jobs_held=int_or(held),
                since_ms=opt_int(last_seen),
            )
        )
    for node_id, region, last_seen in listed(reply, "offline"):
        items.append(
            NodeOffline(
                severity="medium",
                target=str(node_id),
                region=text(region) or None,
                since_ms=opt_int(last_seen),
            )
        )
    for agent_id, node, beat in listed(reply, "stalled"):
        items.append(
            AgentStalled(
                severity="medium",
                target=str(agent_id),
                node_id=text(node) or None,
                since_ms=opt_int(beat),
            )
        )
    for tag, waiting, _oldest, since in listed(reply, "unrunnable"):
        items.append(
            TagUnrunnable(
                severity="medium",
                target=str(tag),
                jobs_waiting=int_or(waiting),
                since_ms=opt_int(since),
            )
        )
    for job_id, finished, job_type, node, error, attempts in listed(reply, "failed"):
        items.append(
            JobFailed(
                severity="low",
                target=str(job_id),
                job_type=text(job_type) or None,
                node_id=text(node) or None,
                error=text(error) or None,
                attempts=int_or(attempts),
                since_ms=opt_int(finished),
            )
        )
    items.sort(key=lambda item: SEVERITY_ORDER[item.severity])
    return Triage(
        items=items,
        overdue_count=int_or(reply.get("overdue_count")),
        failed_count=int_or(reply.get("failed_count")),
    )


def with_memory(triage: Triage, reason: str | None) -> Triage:
    """The triage with Redis's out-of-memory state first: every write fails until it has room,
    so it outranks whatever else is wrong."""
    if reason is None:
        return triage
    full = RedisOutOfMemory(severity="critical", target="redis", reason=reason)
    return triage.model_copy(update={"items": [full, *triage.items]})


def triage_read(
    store: Store, now_ms: int, limit: int, budget: int, queue_age_s: int = DEFAULT_QUEUE_AGE_S
) -> Read[Triage]:
    """The triage as a named read; `queue_age_s` 0 leaves the queue's age out."""
    commands = {
        "findings": script(
            store,
            "snapshot_triage",
            [store.keys.deadlines],
            now_ms,
            limit,
            budget,
            queue_age_s * 1000,
        )
    }

    def decode(r: Replies) -> Triage:
        return triage_from_reply(script_reply(r["findings"]), queue_age_s)

    return Read("triage", commands, decode)
