"""Triage items in words: the core reports each finding as its kind and facts
(core.reads.triage); the triage pane shows the sentence made here."""

from __future__ import annotations

from console.format import short_id
from core.reads.triage import (
    AgentStalled,
    JobFailed,
    JobOverdue,
    LedgerCheckFailed,
    OfflineNodeHolding,
    RedisOutOfMemory,
    StripeKeyRefused,
    TagUnrunnable,
    TriageItem,
)


def plural(count: int) -> str:
    """The plural ending for `count` things."""
    return "" if count == 1 else "s"


def rough_age(now_ms: int, then_ms: int | None) -> str:
    """How long ago, in the one coarse unit a sentence needs (90s, 5m, 3h)."""
    if not then_ms:
        return "a while"
    seconds = max(0, (now_ms - then_ms) // 1000)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def triage_sentence(item: TriageItem, now_ms: int) -> str:
    """One sentence an operator can act on: what is wrong, where, and since when."""
    since = rough_age(now_ms, item.since_ms)
    match item:
        case RedisOutOfMemory():
            return item.reason
        case LedgerCheckFailed():
            stopped = " Payouts are stopped until it passes." if item.payouts_stopped else ""
            return (
                "The ledger check failed: " + (item.problems or "run `lcn ledger check`.") + stopped
            )
        case StripeKeyRefused():
            held = item.payouts_held
            return (
                (item.error or f"Stripe refused our API key ({item.http_status}).")
                + f" {held} payout{plural(held)} held: set a working STRIPE_SECRET_KEY (they then "
                "go again on their own) or run `lcn payouts retry ID` once it is fixed."
            )
        case JobOverdue():
            return (
                f"{item.job_type or 'job'} past its timeout by {since} on "
                f"{short_id(item.node_id)} ({item.agent_id or 'no agent'})"
            )
        case OfflineNodeHolding():
            held = item.jobs_held
            return (
                f"offline node in {item.region or '?'} still holds {held} job{plural(held)} "
                f"(seen {since} ago)"
            )
        case AgentStalled():
            return f"agent stalled on {short_id(item.node_id)}, silent for {since}"
        case TagUnrunnable():
            waiting = item.jobs_waiting
            return (
                f"{waiting} pending job{plural(waiting)} need {item.target}, which no "
                "registered node offers"
            )
        case JobFailed():
            return (
                f"{item.job_type or 'job'} failed after {item.attempts} attempt"
                f"{plural(item.attempts)} on {short_id(item.node_id)}: "
                f"{item.error or 'no error recorded'}"
            )
