"""Pane 1: the world map above the node table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import DataTable

from console.format import ago, load_bar, short_id, usd
from console.widgets.live_table import LiveTable, RowId
from console.widgets.pane import Pane
from console.widgets.world_map import WorldMap
from console.window_words import window_words

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.snapshot import Snapshot

COLUMNS = [
    ("id", "node"), ("region", "region"), ("state", "state"), ("load", "load"),
    ("rep", "rep"), ("jobs", "ok/fail"), ("earned", "earned"), ("seen", "seen"),
]  # fmt: skip


class NodesPane(Pane):
    PANE = "nodes"
    TITLE = "Nodes"
    NUMBER = 1

    def __init__(self) -> None:
        super().__init__()
        self._positions: dict[str, tuple[float | None, float | None]] = {}

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The map follows the table's cursor at once, not at the next poll."""
        lat, lon = self._positions.get(str(event.row_key.value), (None, None))
        self.world_map.set_selected(lat, lon)

    def compose(self) -> ComposeResult:
        yield WorldMap(id="nodes-map")
        yield LiveTable(COLUMNS, id="nodes-table")

    @property
    def world_map(self) -> WorldMap:
        return self.query_one(WorldMap)

    def update_from(self, snapshot: Snapshot, state: ConsoleState) -> None:
        counts = snapshot.counts
        by = counts.nodes_by_status
        table = self.table
        page = snapshot.nodes
        view = state.tables["nodes"]
        if page is not None:
            rows = list(page.rows)
            if view.page_sort is not None:
                rows.sort(key=view.page_sort, reverse=True)
            table.show(
                [
                    (
                        r.node_id,
                        [
                            RowId(short_id(r.node_id), r.node_id),
                            r.region,
                            table.state_cell(r.status, state.ascii),
                            f"{load_bar(r.load, 4, state.ascii)} {r.running:>2}",
                            str(r.reputation),
                            f"{r.jobs_completed}/{r.jobs_failed}",
                            usd(r.earnings),
                            ago(r.last_seen, snapshot.now_ms),
                        ],
                    )
                    for r in rows
                ]
            )
            label = window_words(view, page, len(rows))
            self.border_subtitle = f"{self.selection_note()}{label}"
        self.border_title = (
            f"{self.NUMBER} Nodes {counts.nodes:,} · {by.get('active', 0):,} active · "
            f"{by.get('busy', 0):,} busy · {by.get('draining', 0):,} draining · "
            f"{by.get('offline', 0):,} offline"
        )
        sweep = state.map_sweep
        world = self.world_map
        world.set_ascii(state.ascii)
        if sweep.complete or sweep.cells:
            world.set_cells(sweep.width, sweep.height, sweep.cells)
        progress = ""
        if snapshot.map is not None and snapshot.map.total > snapshot.map.read:
            progress = f"sweep {snapshot.map.cursor + snapshot.map.read:,}/{snapshot.map.total:,}"
        world.set_legend(progress)
        if page is not None:
            self._positions = {r.node_id: (r.lat, r.lon) for r in page.rows}
        lat, lon = self._positions.get(table.selected_key or "", (None, None))
        world.set_selected(lat, lon)
