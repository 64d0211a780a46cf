"""Pane 2: the job queue, newest first, filterable by state, type and node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult

from console.format import ago, short_id, usd
from console.glyphs import labelled
from console.widgets.live_table import LiveTable, RowId
from console.widgets.pane import Pane
from console.window_words import window_words

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.jobs import JobRow
    from core.reads.snapshot import Snapshot

COLUMNS = [
    ("id", "job"), ("type", "type"), ("state", "state"), ("node", "node"), ("agent", "agent"),
    ("age", "age"), ("att", "try"), ("cost", "cost"),
]  # fmt: skip
# Below this table width (an 80-column terminal, a pane of the 160-column dashboard) the agent
# column goes, the one a job's detail also shows, so the cost is never cut ("~$2." for "~$2.12")
# when ages are long: with an age like 15m47s and a cost like ~$12.34 all columns need some 83
# cells, the rest some 67.
WIDE_FROM = 96
NARROW = [column for column in COLUMNS if column[0] != "agent"]
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
        table.use_columns(COLUMNS if table.size.width >= WIDE_FROM else NARROW)
        keys = table.column_keys
        rows_cells = ((r.job_id, self.cells(r, state, now)) for r in rows)
        table.show([(job_id, [cells[key] for key in keys]) for job_id, cells in rows_cells])
        label = window_words(view, page, len(rows))
        self.border_subtitle = f"{self.selection_note()}{label}"

    def cells(self, r: JobRow, state: ConsoleState, now: int) -> dict[str, Any]:
        """A row's cells by column key; the table shows those of the columns it has."""
        table = self.table
        label = f"{r.status} (archived)" if r.archived else None
        return {
            "id": RowId(short_id(r.job_id), r.job_id),
            "type": TYPE_SHORT.get(r.job_type, r.job_type),
            "state": table.state_text(r.status, labelled(r.status, state.ascii, label)),
            "node": short_id(r.node_id, 8) if r.node_id else table.dim("-"),
            "agent": r.agent_id or table.dim("-"),
            "age": ago(r.created_at, now),
            "att": f"{r.attempts}/{r.max_attempts}",
            "cost": usd(r.actual_cost) if r.actual_cost is not None
            else table.dim("~" + usd(r.estimated_cost)),
        }  # fmt: skip
