"""A DataTable that shows a window of a live index: rows are added, updated cell by cell and
removed by key, so a refresh never rebuilds the table, the cursor stays on its row, and only
changed cells are redrawn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

STATES = (
    "active", "busy", "draining", "offline", "pending", "assigned", "running", "completed",
    "failed", "cancelled", "idle", "working", "stalled", "stopped", "critical", "high", "medium",
    "low",
)  # fmt: skip


class RowId(Text):
    """The first cell of a row: shows a short id, carries the row's key for ordering."""

    def __init__(self, shown: str, key: str, style: str | Style = "") -> None:
        super().__init__(shown, style=style)
        self.row_key = key


class LiveTable(DataTable[Any]):
    """Rows keyed by id; `show()` makes the table hold exactly the given rows, in order."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"state--{s}" for s in STATES} | {"livetable--dim"}

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._column_spec = list(columns)

    def on_mount(self) -> None:
        for key, label in self._column_spec:
            self.add_column(label, key=key)

    def state_text(self, state: str, label: str | None = None) -> Text:
        """A state name in its state's colour (from the stylesheet)."""
        name = f"state--{state}"
        text = label if label is not None else state
        if name not in self.COMPONENT_CLASSES:
            return Text(text)
        full = self.get_component_rich_style(name)
        # Foreground and attributes only: the row (and the cursor) keep their own background.
        return Text(text, style=Style(color=full.color, bold=full.bold, reverse=full.reverse))

    def dim(self, text: str) -> Text:
        return Text(text, style=Style(color=self.get_component_rich_style("livetable--dim").color))

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # an empty or just-cleared table has no cursor cell
            return None
        return str(row_key.value) if row_key.value is not None else None

    def show(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Make the table hold `rows` (key, cells) in this order, touching only what changed."""
        selected = self.selected_key
        wanted = [key for key, _ in rows]
        wanted_set = set(wanted)
        for row in list(self.ordered_rows):
            if row.key.value not in wanted_set:
                self.remove_row(row.key)
        column_keys = [column.key for column in self.ordered_columns]
        present = {row.key.value for row in self.ordered_rows}
        for key, cells in rows:
            if key in present:
                for column_key, cell in zip(column_keys, cells, strict=False):
                    if self.get_cell(key, column_key) != cell:
                        self.update_cell(key, column_key, cell, update_width=True)
            else:
                self.add_row(*cells, key=key)
        if [row.key.value for row in self.ordered_rows] != wanted:
            rank = {key: i for i, key in enumerate(wanted)}
            self.sort(key=lambda values: rank.get(getattr(values[0], "row_key", ""), 0))
        if selected in wanted_set:
            index = self.get_row_index(RowKey(selected))
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False, scroll=False)
