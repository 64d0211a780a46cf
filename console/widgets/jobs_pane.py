"""Pane 2: the job queue, newest first, filterable by state, type and node."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult

from console.format import ago, short_id, usd
from console.glyphs import labelled
from console.widgets.live_table import LiveTable, RowId
from console.widgets.pane import Pane
from console.window_words import window_words

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.snapshot import Snapshot

COLUMNS = [
    ("id", "job"), ("type", "type"), ("state", "state"), ("node", "node"), ("agent", "agent"),
    ("age", "age"), ("att", "try"), ("cost", "cost"),
]  # fmt: skip
TYPE_SHORT = {"code-execution": "code", "model-inference": "model", "data-processing": "data"}


class JobsPane(Pane):
    PANE = "jobs"
    TITLE = "Jobs"
    NUMBER = 2

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="jobs-table")

    def update_from(self, snapshot: Snapshot, state: ConsoleState) -> None:
        by = snapshot.counts.jobs_by_status
        self.border_title = (
            f"{self.NUMBER} Jobs {snapshot.counts.jobs:,} · {by.get('pending', 0):,} pending · "
            f"{by.get('assigned', 0) + by.get('running', 0):,} running · "
            f"{by.get('failed', 0):,} failed"
        )
        page = snapshot.jobs
        if page is None:
            return
        table = self.table
        view = state.tables["jobs"]
        rows = list(page.rows)
        if view.page_sort is not None:
            rows.sort(key=view.page_sort, reverse=True)
        now = snapshot.now_ms
        table.show(
            [
                (
                    r.job_id,
                    [
                        RowId(short_id(r.job_id), r.job_id),
                        TYPE_SHORT.get(r.job_type, r.job_type),
                        table.state_text(
                            r.status,
                            labelled(
                                r.status,
                                state.ascii,
                                f"{r.status} (archived)" if r.archived else None,
                            ),
                        ),
                        short_id(r.node_id, 8) if r.node_id else table.dim("-"),
                        r.agent_id or table.dim("-"),
                        ago(r.created_at, now),
                        f"{r.attempts}/{r.max_attempts}",
                        usd(r.actual_cost) if r.actual_cost is not None
                        else table.dim("~" + usd(r.estimated_cost)),
                    ],
                )
                for r in rows
            ]
        )  # fmt: skip
        label = window_words(view, page, len(rows))
        self.border_subtitle = f"{self.selection_note()}{label}"
