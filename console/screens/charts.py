"""`m`: four charts with labelled axes and scale — throughput, failures, queue depth and
earnings over the last minutes — drawn from the snapshot every poll already reads. A modal
screen, so the job and node commands of the panes under it do not apply while it is shown."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.screen import ModalScreen
from textual.widgets import Footer

from console.charts import DepthHistory, all_charts
from console.widgets.chart import Chart
from console.widgets.status_line import Banner, StatusLine
from core.reads.snapshot import Snapshot

CHARTS = ("throughput", "failures", "queue", "earnings")


class ChartsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,m", "close", "Back"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.drawn = False

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Banner(id="banner")
        with Grid(id="charts"):
            for name in CHARTS:
                yield Chart(id=f"chart-{name}", classes="chart")
        yield Footer()

    def show(self, snapshot: Snapshot, history: DepthHistory) -> None:
        for name, data in all_charts(snapshot, history).items():
            self.query_one(f"#chart-{name}", Chart).plot(data)
        self.drawn = True

    def action_close(self) -> None:
        self.app.pop_screen()
