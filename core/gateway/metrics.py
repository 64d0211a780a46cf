"""GET /metrics: the pool's figures in the Prometheus text format, derived from Redis at scrape
time by a custom Collector, so any number of gateways report the same numbers and a restarted
gateway loses nothing.

What is read (one pipelined round trip):
* gauges from the state indexes: nodes and jobs by state, agents registered and live, leases
  held, escrow balance;
* counters from the pool's `totals` hash, which the job scripts increment: `gross`,
  `node_earnings`, `platform_revenue` (micro-USD), and — when the scripts record them —
  `placements`, `completions`, `failures`, `lease_expiries`, `payouts_paid` (micro-USD);
  completions and failures fall back to the size of the completed/failed sets;
* histograms from `hist:queue_wait_ms` and `hist:run_ms` hashes: one field per bucket upper
  bound in ms (`"1000"`, …, `"inf"`) holding that bucket's own count, plus `sum` and `count`;
* payments: payouts by state (the payout status indexes) and the `money` running totals
  (`credits`, `sales`, `refunds`, micro-USD) kept by the payments scripts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from core.money import MICRO_PER_USD
from core.reads.batch import Read, ReadBatch, Replies, command
from core.reads.counts import Counts, counts_read
from core.store import Store
from core.store.keys import PAYOUT_STATUSES

HISTOGRAMS = {
    "queue_wait_ms": ("lcn_job_queue_wait_seconds", "Time from submission to first start."),
    "run_ms": ("lcn_job_run_seconds", "Measured run time of completed jobs."),
}
DEFAULT_BOUNDS_MS = (10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000)
COUNTERS = {
    # totals field: (metric name; prometheus-client adds _total, help)
    "placements": ("lcn_placements", "Jobs placed on a node (first placements and re-placements)."),
    "completions": ("lcn_job_completions", "Jobs completed."),
    "failures": ("lcn_job_failures", "Failure reports and jobs that failed for good."),
    "lease_expiries": ("lcn_lease_expiries", "Leases that expired with the job still running."),
}
PAYMENTS_COUNTERS = {
    "credits": ("lcn_credits_sold_usd", "Prepaid compute credit bought by creators, USD."),
    "sales": ("lcn_sales_usd", "Catalog sales (PKPs, digital items), USD."),
    "refunds": ("lcn_refunds_usd", "Refunded to buyers, USD."),
}
MONEY_COUNTERS = {
    "gross": ("lcn_gross_usd", "Billed to job creators for completed jobs, USD."),
    "node_earnings": ("lcn_node_earnings_usd", "Earned by node operators (70%), USD."),
    "platform_revenue": ("lcn_platform_revenue_usd", "Kept by the platform (30%), USD."),
    "payouts_paid": ("lcn_payouts_paid_usd", "Paid out to node operators through Stripe, USD."),
}
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class PoolSnapshot:
    pool: str
    counts: Counts
    escrow_micro: int
    totals: dict[str, int]
    histograms: dict[str, dict[str, int]] = field(default_factory=dict)
    payouts: dict[str, int] = field(default_factory=dict)
    money: dict[str, int] = field(default_factory=dict)


def _ints(raw: dict[bytes, bytes]) -> dict[str, int]:
    found = {}
    for k, v in raw.items():
        try:
            found[k.decode()] = int(float(v))
        except ValueError:
            continue
    return found


@dataclass
class _Figures:
    """What /metrics reads besides the counts: money, totals, histograms, payouts."""

    escrow_micro: int
    totals: dict[str, int]
    histograms: dict[str, dict[str, int]]
    payouts: dict[str, int]
    money: dict[str, int]


def _figures_read(store: Store) -> Read[_Figures]:
    commands = {
        "escrow": command("HGET", store.keys.balances, "escrow"),
        "totals": command("HGETALL", store.keys.totals),
        **{f"hist:{name}": command("HGETALL", store.keys.histogram(name)) for name in HISTOGRAMS},
        **{
            f"payouts:{state}": command("ZCARD", store.keys.records_with_status("payouts", state))
            for state in PAYOUT_STATUSES
        },
        "money": command("HGETALL", store.keys.money),
    }

    def decode(r: Replies) -> _Figures:
        money = _ints(r["money"])
        return _Figures(
            escrow_micro=int(r["escrow"] or 0),
            totals=_ints(r["totals"]),
            histograms={name: _ints(r[f"hist:{name}"]) for name in HISTOGRAMS},
            payouts={
                state: int(r[f"payouts:{state}"]) + money.get(f"archived_payouts_{state}", 0)
                for state in PAYOUT_STATUSES
            },
            money=money,
        )

    return Read("metrics", commands, decode)


async def read_snapshot(store: Store) -> PoolSnapshot:
    batch = ReadBatch(store)
    counts, figures = batch.add(counts_read(store)), batch.add(_figures_read(store))
    results = await batch.run()
    found = results[figures]
    totals = found.totals
    totals.setdefault("completions", results[counts].jobs_by_status["completed"])
    totals.setdefault("failures", results[counts].jobs_by_status["failed"])
    totals.setdefault("payouts_paid", found.money.get("payouts_paid", 0))
    return PoolSnapshot(
        pool=store.pool,
        counts=results[counts],
        escrow_micro=found.escrow_micro,
        totals=totals,
        histograms=found.histograms,
        payouts=found.payouts,
        money=found.money,
    )


def histogram_buckets(raw: dict[str, int]) -> tuple[list[tuple[str, float]], float]:
    """Cumulative (le in seconds, count) buckets ending with +Inf, and the sum in seconds."""
    bounds = set(DEFAULT_BOUNDS_MS)
    for name in raw:
        if name.isdigit():
            bounds.add(int(name))
    buckets: list[tuple[str, float]] = []
    running = 0
    for bound in sorted(bounds):
        running += raw.get(str(bound), 0)
        buckets.append((_seconds(bound), float(running)))
    total = max(running + raw.get("inf", 0), raw.get("count", 0))
    buckets.append(("+Inf", float(total)))
    return buckets, raw.get("sum", 0) / 1000


def _seconds(ms: int) -> str:
    return repr(ms / 1000)


class PoolCollector(Collector):
    """Turns one snapshot into metric families; built per scrape, so it never goes stale."""

    def __init__(self, snapshot: PoolSnapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        s = self.snapshot
        nodes = GaugeMetricFamily("lcn_nodes", "Nodes by state.", labels=["pool", "status"])
        for state, count in s.counts.nodes_by_status.items():
            nodes.add_metric([s.pool, state], count)
        yield nodes
        jobs = GaugeMetricFamily("lcn_jobs", "Jobs by state.", labels=["pool", "status"])
        for state, count in s.counts.jobs_by_status.items():
            jobs.add_metric([s.pool, state], count)
        yield jobs
        for name, doc, value in (
            ("lcn_agents_registered", "Agents that ever joined the swarm.", s.counts.agents),
            ("lcn_agents_live", "Agents heard from and not stopped.", s.counts.agents_live),
            ("lcn_leases_held", "Jobs running under a lease.", s.counts.leases),
            ("lcn_escrow_usd", "Held for placed jobs not yet settled, USD.", s.escrow_micro / 1e6),
        ):
            gauge = GaugeMetricFamily(name, doc, labels=["pool"])
            gauge.add_metric([s.pool], value)
            yield gauge
        for field_name, (metric, doc) in COUNTERS.items():
            counter = CounterMetricFamily(metric, doc, labels=["pool"])
            counter.add_metric([s.pool], s.totals.get(field_name, 0))
            yield counter
        for field_name, (metric, doc) in MONEY_COUNTERS.items():
            counter = CounterMetricFamily(metric, doc, labels=["pool"])
            counter.add_metric([s.pool], s.totals.get(field_name, 0) / MICRO_PER_USD)
            yield counter
        for field_name, (metric, doc) in PAYMENTS_COUNTERS.items():
            counter = CounterMetricFamily(metric, doc, labels=["pool"])
            counter.add_metric([s.pool], s.money.get(field_name, 0) / MICRO_PER_USD)
            yield counter
        payouts = GaugeMetricFamily("lcn_payouts", "Payouts by state.", labels=["pool", "status"])
        for state, count in s.payouts.items():
            payouts.add_metric([s.pool, state], count)
        yield payouts
        for key, (metric, doc) in HISTOGRAMS.items():
            histogram = HistogramMetricFamily(metric, doc, labels=["pool"])
            buckets, total = histogram_buckets(s.histograms.get(key, {}))
            histogram.add_metric([s.pool], buckets, total)
            yield histogram


async def render(store: Store) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PoolCollector(await read_snapshot(store)))
    return generate_latest(registry)
