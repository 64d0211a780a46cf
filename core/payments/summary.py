"""What the console's earnings pane shows, read in one pipelined round trip from running totals
and hourly series the payment scripts keep (never a sum over records)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from core.models.base import WireModel, ms_to_datetime
from core.payments.outbox import now_ms as wall_ms
from core.store import Store

BUCKET_MS = 3_600_000  # keep in step with MONEY_BUCKET_MS in include/money.lua
SERIES = ("credits", "sales", "refunds", "payouts_paid")
MAX_HOURS = 24 * 14


class MoneyBucket(WireModel):
    start: datetime
    credits_micro_usd: int
    sales_micro_usd: int
    refunds_micro_usd: int
    payouts_micro_usd: int


class PayoutCounts(WireModel):
    pending: int = Field(description="Waiting to be sent (or waiting out a backoff).")
    sent: int = Field(description="With Stripe right now.")
    paid: int
    failed: int
    in_flight_micro_usd: int = Field(description="Reserved for pending and sent payouts.")
    paid_micro_usd: int
    failed_micro_usd: int


class EarningsSummary(WireModel):
    payments_enabled: bool
    gross_volume_micro_usd: int = Field(description="Paid in through Stripe: credit and sales.")
    credits_sold_micro_usd: int
    sales_micro_usd: int
    refunds_micro_usd: int
    billed_micro_usd: int = Field(description="Billed to creators for completed jobs.")
    platform_fees_micro_usd: int = Field(description="The platform's 30% of what was billed.")
    node_earnings_micro_usd: int = Field(description="The nodes' 70% of what was billed.")
    unpaid_earnings_micro_usd: int = Field(description="Earned by nodes, not yet paid out.")
    open_purchases: int
    refunds_in_flight_micro_usd: int
    payouts: PayoutCounts
    series: list[MoneyBucket] = Field(description="Hourly, oldest first.")


def _int(value: bytes | str | None) -> int:
    return int(value or 0)


def _buckets(hours: int, now: int) -> list[int]:
    last = now // BUCKET_MS
    return list(range(last - hours + 1, last + 1))


def summary_commands(
    store: Store, *, hours: int = 24, now_ms: int | None = None
) -> list[tuple[str, ...]]:
    """The Redis commands the summary reads, for a caller that pipelines them with its own
    (the console's one round trip per poll); give their replies, in order, to `summary_from`."""
    hours = max(1, min(hours, MAX_HOURS))
    fields = [str(b) for b in _buckets(hours, now_ms or wall_ms())]
    commands: list[tuple[str, ...]] = [
        (
            "HMGET",
            store.keys.money,
            "credits",
            "sales",
            "refunds",
            "payouts_paid",
            "payouts_failed",
        ),
        ("HMGET", store.keys.totals, "gross", "node_earnings", "platform_revenue"),
        *(
            ("ZCARD", store.keys.records_with_status("payouts", s))
            for s in ("pending", "sent", "paid", "failed")
        ),
        ("HMGET", store.keys.balances, "payouts", "refunds"),
        ("ZCARD", store.keys.records_with_status("purchases", "open")),
        *(("HMGET", store.keys.money_series(name), *fields) for name in SERIES),
    ]
    return commands


def summary_from(
    replies: list[Any], *, payments_enabled: bool, hours: int = 24, now_ms: int | None = None
) -> EarningsSummary:
    """The summary from the replies to `summary_commands` (same hours and now)."""
    hours = max(1, min(hours, MAX_HOURS))
    credits, sales, refunds, paid_micro, failed_micro = (_int(v) for v in replies[0])
    gross, node_earnings, platform = (_int(v) for v in replies[1])
    pending, sent, paid, failed = (int(r) for r in replies[2:6])
    held_payouts, held_refunds = (_int(v) for v in replies[6])
    series_values = [[_int(v) for v in reply] for reply in replies[8 : 8 + len(SERIES)]]
    series = [
        MoneyBucket(
            start=ms_to_datetime(bucket * BUCKET_MS) or datetime.min,
            credits_micro_usd=series_values[0][i],
            sales_micro_usd=series_values[1][i],
            refunds_micro_usd=series_values[2][i],
            payouts_micro_usd=series_values[3][i],
        )
        for i, bucket in enumerate(_buckets(hours, now_ms or wall_ms()))
    ]
    return EarningsSummary(
        payments_enabled=payments_enabled,
        gross_volume_micro_usd=credits + sales,
        credits_sold_micro_usd=credits,
        sales_micro_usd=sales,
        refunds_micro_usd=refunds,
        billed_micro_usd=gross,
        platform_fees_micro_usd=platform,
        node_earnings_micro_usd=node_earnings,
        unpaid_earnings_micro_usd=max(0, node_earnings - paid_micro - held_payouts),
        open_purchases=int(replies[7]),
        refunds_in_flight_micro_usd=held_refunds,
        payouts=PayoutCounts(
            pending=pending,
            sent=sent,
            paid=paid,
            failed=failed,
            in_flight_micro_usd=held_payouts,
            paid_micro_usd=paid_micro,
            failed_micro_usd=failed_micro,
        ),
        series=series,
    )


async def earnings_summary(
    store: Store, *, payments_enabled: bool, hours: int = 24, now_ms: int | None = None
) -> EarningsSummary:
    """Revenue, fees, payouts by state, refunds and the money series of the last `hours`, in
    one pipelined round trip."""
    now = now_ms or wall_ms()
    commands = summary_commands(store, hours=hours, now_ms=now)
    async with store.redis.pipeline(transaction=False) as pipe:
        for command in commands:
            pipe.execute_command(*command)
        replies = await pipe.execute()
    return summary_from(replies, payments_enabled=payments_enabled, hours=hours, now_ms=now)
