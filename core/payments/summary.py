"""What the console's earnings pane shows, read in one pipelined round trip from running totals
and hourly series the payment scripts keep (never a sum over records)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from core.models.base import WireModel, ms_to_datetime
from core.payments.outbox import now_ms as wall_ms
from core.reads.batch import Read, Replies, by_field, command, hmget, read
from core.reads.money import job_totals, job_totals_command
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


MONEY_FIELDS = ("credits", "sales", "refunds", "payouts_paid", "payouts_failed")
# Payouts the archiver moved out of Redis, by their final state (archive_money.lua counts them).
ARCHIVED_PAYOUTS = ("archived_payouts_paid", "archived_payouts_failed")
PAYOUT_STATES = ("pending", "sent", "paid", "failed")
HELD_ACCOUNTS = ("payouts", "refunds")


def _int(value: bytes | str | None) -> int:
    return int(value or 0)


def _buckets(hours: int, now: int) -> list[int]:
    last = now // BUCKET_MS
    return list(range(last - hours + 1, last + 1))


def summary_read(
    store: Store, *, payments_enabled: bool, hours: int = 24, now_ms: int | None = None
) -> Read[EarningsSummary]:
    """The summary as a named read, for a caller that batches it with its own (the console's
    one round trip per poll)."""
    hours = max(1, min(hours, MAX_HOURS))
    buckets = _buckets(hours, now_ms or wall_ms())
    fields = tuple(str(b) for b in buckets)
    commands = {
        "money": hmget(store.keys.money, MONEY_FIELDS + ARCHIVED_PAYOUTS),
        "job_totals": job_totals_command(store),
        **{
            f"payouts:{state}": command("ZCARD", store.keys.records_with_status("payouts", state))
            for state in PAYOUT_STATES
        },
        "held": hmget(store.keys.balances, HELD_ACCOUNTS),
        "open_purchases": command("ZCARD", store.keys.records_with_status("purchases", "open")),
        **{f"series:{name}": hmget(store.keys.money_series(name), fields) for name in SERIES},
    }

    def decode(r: Replies) -> EarningsSummary:
        fields = MONEY_FIELDS + ARCHIVED_PAYOUTS
        money = {name: _int(v) for name, v in by_field(fields, r["money"]).items()}
        totals = job_totals(r["job_totals"])
        payouts = {state: int(r[f"payouts:{state}"]) for state in PAYOUT_STATES}
        held = {name: _int(v) for name, v in by_field(HELD_ACCOUNTS, r["held"]).items()}
        series = {name: [_int(v) for v in r[f"series:{name}"]] for name in SERIES}
        return EarningsSummary(
            payments_enabled=payments_enabled,
            gross_volume_micro_usd=money["credits"] + money["sales"],
            credits_sold_micro_usd=money["credits"],
            sales_micro_usd=money["sales"],
            refunds_micro_usd=money["refunds"],
            billed_micro_usd=totals["gross"],
            platform_fees_micro_usd=totals["platform_revenue"],
            node_earnings_micro_usd=totals["node_earnings"],
            unpaid_earnings_micro_usd=max(
                0, totals["node_earnings"] - money["payouts_paid"] - held["payouts"]
            ),
            open_purchases=int(r["open_purchases"]),
            refunds_in_flight_micro_usd=held["refunds"],
            payouts=PayoutCounts(
                pending=payouts["pending"],
                sent=payouts["sent"],
                paid=payouts["paid"] + money["archived_payouts_paid"],
                failed=payouts["failed"] + money["archived_payouts_failed"],
                in_flight_micro_usd=held["payouts"],
                paid_micro_usd=money["payouts_paid"],
                failed_micro_usd=money["payouts_failed"],
            ),
            series=[
                MoneyBucket(
                    start=ms_to_datetime(bucket * BUCKET_MS) or datetime.min,
                    credits_micro_usd=series["credits"][i],
                    sales_micro_usd=series["sales"][i],
                    refunds_micro_usd=series["refunds"][i],
                    payouts_micro_usd=series["payouts_paid"][i],
                )
                for i, bucket in enumerate(buckets)
            ],
        )

    return Read("payments_summary", commands, decode)


async def earnings_summary(
    store: Store, *, payments_enabled: bool, hours: int = 24, now_ms: int | None = None
) -> EarningsSummary:
    """Revenue, fees, payouts by state, refunds and the money series of the last `hours`, in
    one pipelined round trip."""
    return await read(
        store, summary_read(store, payments_enabled=payments_enabled, hours=hours, now_ms=now_ms)
    )
