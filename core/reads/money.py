"""Money and activity over time: the running totals the job scripts keep, the ledger's own
accounts, and per-bucket series (the earnings pane, the swarm's jobs/min)."""

from __future__ import annotations

from core.models.records.fields import int_or
from core.reads.batch import Command, Read, Replies, by_field, hmget
from core.reads.model import Model
from core.store import Store
from core.store.series import STATS_BUCKET_MS

JOB_TOTALS = ("gross", "node_earnings", "platform_revenue")
LEDGER_ACCOUNTS = ("platform", "escrow")
SERIES = ("completed", "failed", "revenue")


class Money(Model):
    """Running totals the job scripts keep (micro-USD), and the ledger's own accounts."""

    gross: int
    node_earnings: int
    platform_revenue: int
    platform_balance: int
    escrow_balance: int


class Series(Model):
    """Per-bucket values, oldest first, ending at the bucket that holds `now`."""

    bucket_ms: int
    last_bucket: int
    completed: list[int]
    failed: list[int]
    revenue: list[int]


def job_totals_command(store: Store) -> Command:
    """What completed jobs billed and how it split (the `totals` hash), micro-USD."""
    return hmget(store.keys.totals, JOB_TOTALS)


def job_totals(reply: list[object]) -> dict[str, int]:
    return {name: int_or(value) for name, value in by_field(JOB_TOTALS, reply).items()}


def money_read(store: Store) -> Read[Money]:
    commands = {
        "totals": job_totals_command(store),
        "balances": hmget(store.keys.balances, LEDGER_ACCOUNTS),
    }

    def decode(r: Replies) -> Money:
        totals = job_totals(r["totals"])
        balances = by_field(LEDGER_ACCOUNTS, r["balances"])
        return Money(
            gross=totals["gross"],
            node_earnings=totals["node_earnings"],
            platform_revenue=totals["platform_revenue"],
            platform_balance=int_or(balances["platform"]),
            escrow_balance=int_or(balances["escrow"]),
        )

    return Read("money", commands, decode)


def series_read(store: Store, now_ms: int, buckets: int) -> Read[Series]:
    """The last `buckets` buckets of each series, ending at the one that holds `now_ms`."""
    last_bucket = now_ms // STATS_BUCKET_MS
    fields = tuple(str(b) for b in range(last_bucket - buckets + 1, last_bucket + 1))
    commands = {name: hmget(store.keys.series(name), fields) for name in SERIES}

    def decode(r: Replies) -> Series:
        values = {name: [int_or(v) for v in r[name]] for name in SERIES}
        return Series(
            bucket_ms=STATS_BUCKET_MS,
            last_bucket=last_bucket,
            completed=values["completed"],
            failed=values["failed"],
            revenue=values["revenue"],
        )

    return Read("series", commands, decode)
