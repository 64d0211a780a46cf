"""Triage items in words, one sentence an operator can act on: the console's triage pane shows
them (console/triage_words.py passes its short ids) and alerts carry them (core/alerts), so an
item reads the same in the terminal, in Slack and in a webhook."""

from __future__ import annotations

from collections.abc import Callable

from core.reads.triage import (
    AgentStalled,
    JobFailed,
    JobOverdue,
    LedgerCheckFailed,
    NodeOffline,
    OfflineNodeHolding,
    PayoutsFailed,
    QueueStale,
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


def whole_id(value: str | None) -> str:
    """An id as it is (alerts name records whole, so they can be pasted into `lcn`)."""
    return value or "-"


def triage_sentence(
    item: TriageItem, now_ms: int, ident: Callable[[str | None], str] = whole_id
) -> str:
    """One sentence an operator can act on: what is wrong, where, and since when. `ident`
    writes an id (the console shortens them to their tails)."""
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
        case PayoutsFailed():
            failed = item.failed
            return (
                f"{failed} payout{plural(failed)} failed for good (the first {since} ago): see "
                "`lcn payouts list --status failed`, then `lcn payouts retry ID`"
            )
        case QueueStale():
            waiting = item.waiting
            return (
                f"{waiting} pending job{plural(waiting)} waited over {item.threshold_s}s; the "
                f"oldest, {ident(item.oldest_job)}, for {since}"
            )
        case JobOverdue():
            return (
                f"{item.job_type or 'job'} past its timeout by {since} on "
                f"{ident(item.node_id)} ({item.agent_id or 'no agent'})"
            )
        case OfflineNodeHolding():
            held = item.jobs_held
            return (
                f"offline node in {item.region or '?'} still holds {held} job{plural(held)} "
                f"(seen {since} ago)"
            )
        case NodeOffline():
            return (
                f"offline node in {item.region or '?'}, silent for {since} (if meant: "
                f"`lcn node offline {ident(item.target)}`)"
            )
        case AgentStalled():
            return f"agent stalled on {ident(item.node_id)}, silent for {since}"
        case TagUnrunnable():
            waiting = item.jobs_waiting
            return (
                f"{waiting} pending job{plural(waiting)} need {item.target}, which no "
                "registered node offers"
            )
        case JobFailed():
            return (
                f"{item.job_type or 'job'} failed after {item.attempts} attempt"
                f"{plural(item.attempts)} on {ident(item.node_id)}: "
                f"{item.error or 'no error recorded'}"
            )
