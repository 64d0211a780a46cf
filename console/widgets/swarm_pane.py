"""Pane 4: the agent swarm, grouped by specialisation, with throughput sparklines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from console.format import ago, short_id, sparkline
from console.widgets.live_table import LiveTable, RowId
from console.widgets.pane import Pane, window_label
from console.widgets.spark import Spark

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.snapshot import Snapshot

COLUMNS = [
    ("id", "agent"), ("spec", "speciality"), ("state", "state"), ("job", "job"),
    ("done", "done"), ("fail", "fail"), ("beat", "beat"), ("trend", "trend"),
]  # fmt: skip
SPEC_SHORT = {"code-execution": "code", "model-inference": "model", "data-processing": "data"}
TREND_WIDTH = 12


def spec_label(names: list[str] | str) -> str:
    parts = names.split("+") if isinstance(names, str) else names
    return "+".join(SPEC_SHORT.get(p, p) for p in parts) or "general"


class SwarmPane(Pane):
    PANE = "swarm"
    TITLE = "Swarm"
    NUMBER = 4

    def compose(self) -> ComposeResult:
        yield Static(id="swarm-groups")
        yield Spark([], id="throughput-spark")
        yield LiveTable(COLUMNS, id="agents-table")

    def update_from(self, snapshot: Snapshot, state: ConsoleState) -> None:
        completed = snapshot.series.completed
        per_min = sum(completed[-6:])
        self.border_title = (
            f"{self.NUMBER} Swarm {snapshot.counts.agents:,} agents · "
            f"{snapshot.counts.agents_live:,} live · {per_min:,} jobs/min"
        )
        self.set_series("#throughput-spark", completed)
        view = snapshot.agents
        if view is None:
            return
        table = self.table
        by_group: dict[str, list[int]] = {}
        for row in view.page.rows:
            key = "+".join(row.specialisations) or "general"
            series = by_group.setdefault(key, [0] * len(row.series))
            for i, v in enumerate(row.series):
                series[i] += v
        lines = Text(no_wrap=True, overflow="ellipsis")
        label_width = max((len(spec_label(g.name)) for g in view.groups), default=0) + 1
        for i, group in enumerate(view.groups):
            if i:
                lines.append("\n")
            lines.append(f"{spec_label(group.name):<{label_width}}", style="bold")
            lines.append(f"{group.total:>4} ")
            lines.append_text(table.state_text("working", f"{group.working:>3} working "))
            lines.append_text(table.state_text("idle", f"{group.idle:>3} idle "))
            if group.stalled:
                lines.append_text(table.state_text("stalled", f"{group.stalled} stalled "))
            lines.append(sparkline(by_group.get(group.name, []), TREND_WIDTH, state.ascii))
        self.set_text("#swarm-groups", lines)
        rows = sorted(view.page.rows, key=lambda r: ("+".join(r.specialisations), r.agent_id))
        table.show(
            [
                (
                    r.agent_id,
                    [
                        RowId(r.agent_id, r.agent_id),
                        spec_label(r.specialisations),
                        table.state_cell(r.state, state.ascii),
                        short_id(r.current_job, 8) if r.current_job else table.dim("-"),
                        str(r.jobs_done),
                        str(r.jobs_failed),
                        ago(r.last_heartbeat, snapshot.now_ms),
                        sparkline(r.series, TREND_WIDTH, state.ascii),
                    ],
                )
                for r in rows
            ]
        )
        self.border_subtitle = self.selection_note() + window_label(
            view.page.offset, len(rows), view.page.total
        )
