"""What the charts show, from what every poll already reads (no extra command): jobs completed
and failed and revenue per bucket from the snapshot's series, and the queue depth, which Redis
keeps no history of, sampled by the console itself from each poll's counts."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from console.format import usd
from console.widgets.chart import ChartData, depth_values
from core.reads.snapshot import Snapshot

DEPTH_SAMPLES = 2_000  # ~half an hour at one poll a second: more than a chart shows


@dataclass
class DepthHistory:
    """Pending jobs at each poll drawn (ms, count), newest last: the queue-depth chart starts
    empty and fills while the console runs (the chart says so with gaps, not zeros)."""

    samples: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=DEPTH_SAMPLES))

    def add(self, snapshot: Snapshot) -> None:
        pending = snapshot.counts.jobs_by_status.get("pending", 0)
        if self.samples and self.samples[-1][0] >= snapshot.now_ms:
            return  # a paused or repeated snapshot adds nothing
        self.samples.append((snapshot.now_ms, pending))


def per_bucket(bucket_ms: int) -> str:
    return f"/ {bucket_ms // 1000} s"


def throughput(snapshot: Snapshot) -> ChartData:
    s = snapshot.series
    return ChartData(f"Throughput: jobs done {per_bucket(s.bucket_ms)}", tuple(s.completed),
                     s.bucket_ms)  # fmt: skip


def failures(snapshot: Snapshot) -> ChartData:
    s = snapshot.series
    return ChartData(f"Failures: jobs failed {per_bucket(s.bucket_ms)}", tuple(s.failed),
                     s.bucket_ms, bad=True)  # fmt: skip


def earnings(snapshot: Snapshot) -> ChartData:
    s = snapshot.series
    return ChartData(f"Earnings: billed {per_bucket(s.bucket_ms)}", tuple(s.revenue),
                     s.bucket_ms, label=usd)  # fmt: skip


def queue_depth(snapshot: Snapshot, history: DepthHistory) -> ChartData:
    s = snapshot.series
    values = depth_values(list(history.samples), s.last_bucket, len(s.completed), s.bucket_ms)
    return ChartData("Queue depth: jobs pending", values, s.bucket_ms)


def all_charts(snapshot: Snapshot, history: DepthHistory) -> dict[str, ChartData]:
    return {
        "throughput": throughput(snapshot),
        "failures": failures(snapshot),
        "queue": queue_depth(snapshot, history),
        "earnings": earnings(snapshot),
    }
