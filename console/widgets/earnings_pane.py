"""Pane 3: totals, revenue per bucket as a chart with its scale, payouts, per-node earnings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from console import charts
from console.format import short_id, usd
from console.widgets.chart import Chart
from console.widgets.live_table import LiveTable, RowId
from console.widgets.pane import Pane
from console.window_words import window_words

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.snapshot import Snapshot

COLUMNS = [
    ("id", "node"), ("region", "region"), ("earned", "earned"), ("jobs", "jobs"),
    ("avg", "per job"), ("rep", "rep"),
]  # fmt: skip
PAYOUTS_OFF = "Payouts: payments are off until Stripe is configured (STRIPE_SECRET_KEY)."


def payouts_line(summary: dict[str, Any] | None) -> str:
    """The payouts section: counts by state and money in flight, or why there are none."""
    if not summary:
        return PAYOUTS_OFF
    p = summary.get("payouts") or {}
    counts = sum(int(p.get(k) or 0) for k in ("pending", "sent", "paid", "failed"))
    if not summary.get("payments_enabled") and not counts:
        return PAYOUTS_OFF
    unpaid = usd(int(summary.get("unpaid_earnings_micro_usd") or 0))
    line = (
        f"Payouts: {p.get('pending', 0)} pending · {p.get('sent', 0)} sent · "
        f"{p.get('paid', 0)} paid {usd(int(p.get('paid_micro_usd') or 0))} · "
        f"{p.get('failed', 0)} failed · in flight {usd(int(p.get('in_flight_micro_usd') or 0))}"
        f" · unpaid earnings {unpaid}"
    )
    if not summary.get("payments_enabled"):
        line += "\n" + PAYOUTS_OFF
    return line


class EarningsPane(Pane):
    PANE = "earnings"
    TITLE = "Earnings"
    NUMBER = 3

    def compose(self) -> ComposeResult:
        yield Static(id="earnings-totals")
        yield Chart(id="revenue-chart")
        yield Static(PAYOUTS_OFF, id="payouts")
        yield LiveTable(COLUMNS, id="earnings-table")

    def update_from(self, snapshot: Snapshot, state: ConsoleState) -> None:
        money = snapshot.money
        revenue = snapshot.series.revenue
        window_s = len(revenue) * snapshot.series.bucket_ms // 1000
        recent = sum(revenue)
        totals = Text.assemble(
            ("gross ", "dim"), usd(money.gross), ("  nodes 70% ", "dim"), usd(money.node_earnings),
            ("  platform 30% ", "dim"), usd(money.platform_revenue),
            ("\nescrow ", "dim"), usd(money.escrow_balance),
            (f"  revenue last {window_s // 60} min ", "dim"), usd(recent),
        )  # fmt: skip
        self.set_text("#earnings-totals", totals)
        self.query_one("#revenue-chart", Chart).plot(charts.earnings(snapshot))
        self.set_text("#payouts", payouts_line(snapshot.payouts))
        self.border_title = f"{self.NUMBER} Earnings · platform {usd(money.platform_revenue)}"
        page = snapshot.earnings
        if page is None:
            return
        view = state.tables["earnings"]
        rows = list(page.rows)
        if view.page_sort is not None:
            rows.sort(key=view.page_sort, reverse=True)
        table = self.table
        table.show(
            [
                (
                    r.node_id,
                    [
                        RowId(short_id(r.node_id), r.node_id),
                        r.region,
                        usd(r.earnings),
                        str(r.jobs_completed),
                        usd(r.earnings // r.jobs_completed) if r.jobs_completed else "-",
                        str(r.reputation),
                    ],
                )
                for r in rows
            ]
        )
        label = window_words(view, page, len(rows))
        self.border_subtitle = f"{self.selection_note()}{label}"
