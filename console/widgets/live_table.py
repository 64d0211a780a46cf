"""A DataTable that shows a window of a live index: rows are added, updated cell by cell and
removed by key, so a refresh never rebuilds the table and only changed cells are redrawn.

The selection is a key, not a row: the operator's cursor moves choose it, and a refresh moves
the cursor to wherever that key's row now is. When the key leaves the window (newer rows
pushed it off the page, a filter no longer matches it), the selection is kept but marked
lost: the cursor is drawn dim, the pane says so, and actions refuse until the operator picks
a row again. Every cell is shown literally: strings from data are never parsed as markup."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from console.glyphs import ascii_of, labelled, plain, plain_text

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

    skip_unchanged: ClassVar[bool] = True  # `lcn bench console` measures its baseline without

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"state--{s}" for s in STATES} | {"livetable--dim"}

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._column_spec = list(columns)
        self.selection: str | None = None  # the key the operator chose; None: none yet
        self._applying = False  # cursor moves made by show() are not the operator's
        self._new_view = False  # the operator asked for another window (page, sort, filter)
        # The selection is the top row the table picked itself, not one the operator chose: when
        # it leaves the view (the window shrank as the layout settled), the new top row is
        # picked instead of calling it lost.
        self._picked = False
        # The cells each row was last given, and the last rows in order: a row given the same
        # cells again is not compared cell by cell, and the same rows again change nothing.
        self._given: dict[str, tuple[Any, ...]] = {}
        self._last_rows: list[tuple[str, tuple[Any, ...]]] | None = None
        self._state_texts: dict[tuple[str, str | None], Text] = {}  # until the styles change
        self._dim_style: Style | None = None  # likewise

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the console replays a recording, ← and → step it (console.replay) rather than
        scroll the table sideways: the key goes on to the App's binding."""
        source = getattr(getattr(self.app, "poller", None), "source", None)
        if action in ("cursor_left", "cursor_right") and getattr(source, "live", True) is False:
            return False
        return super().check_action(action, parameters)

    @contextmanager
    def _applying_rows(self) -> Iterator[None]:
        self._applying = True
        try:
            yield
        finally:
            self._applying = False

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self._applying:
            self._choose_cursor_row()

    def _choose_cursor_row(self) -> None:
        """The operator moved the cursor (keys, mouse, `g`): its row is the selection now."""
        key = self._key_at_cursor()
        if key is not None:
            self.selection = key
            self._picked = False
            self.set_class(False, "-lost")

    def _key_at_cursor(self) -> str | None:
        if not self.row_count:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # an empty or just-cleared table has no cursor cell
            return None
        return str(row_key.value) if row_key.value is not None else None

    def on_mount(self) -> None:
        for key, label in self._column_spec:
            self.add_column(label, key=key)

    def use_columns(self, columns: Sequence[tuple[str, str]]) -> None:
        """Show these columns from now on (a narrow pane drops its least needed one, as k9s
        keeps its wide columns for a wide terminal); the rows are built again by the next
        `show`, and the selection, a key, stays."""
        if list(columns) == self._column_spec:
            return
        self._column_spec = list(columns)
        with self._applying_rows():
            self.clear(columns=True)
            for key, label in self._column_spec:
                self.add_column(label, key=key)
        self._given = {}
        self._last_rows = None

    @property
    def column_keys(self) -> list[str]:
        return [key for key, _ in self._column_spec]

    def watch_virtual_size(self) -> None:
        """DataTable widens a column on idle, after the rows or cells that need it arrived, but
        keeps the lines it drew before at the old width in caches keyed by its update count, so
        a widened column could stay cut ("2m17" for "2m17s") until the table next changed. Its
        size changes with the widths (and the rows): then those lines are drawn again."""
        self._clear_caches()

    def notify_style_update(self) -> None:
        """A theme or stylesheet change: state colours and every row are worked out anew."""
        self._state_texts = {}
        self._dim_style = None
        self._given = {}
        self._last_rows = None
        super().notify_style_update()

    def state_text(self, state: str, label: str | None = None) -> Text:
        """A state name in its state's colour (from the stylesheet); made once per state and
        label while the styles stay the same (cells are never changed in place)."""
        if self.skip_unchanged:
            found = self._state_texts.get((state, label))
            if found is None:
                if len(self._state_texts) > 512:  # labels carry counts: keep it bounded
                    self._state_texts = {}
                found = self._state_texts[(state, label)] = self._state_text(state, label)
            return found
        return self._state_text(state, label)

    def _state_text(self, state: str, label: str | None) -> Text:
        name = f"state--{state}"
        text = label if label is not None else state
        if name not in self.COMPONENT_CLASSES:
            return Text(text)
        full = self.get_component_rich_style(name)
        # Foreground and attributes only: the row (and the cursor) keep their own background.
        return Text(text, style=Style(color=full.color, bold=full.bold, reverse=full.reverse))

    def state_cell(self, state: str, ascii_only: bool = False) -> Text:
        """A state column's cell: its glyph and its name, in its colour (`◐ busy`), so states
        differ in 16 colours and with NO_COLOR too."""
        return self.state_text(state, labelled(state, ascii_only))

    def dim(self, text: str) -> Text:
        style = self._dim_style if self.skip_unchanged else None
        if style is None:
            color = self.get_component_rich_style("livetable--dim").color
            style = self._dim_style = Style(color=color)
        return Text(text, style=style)

    @property
    def selected_key(self) -> str | None:
        """The selected row's key while that row is in the table; None when nothing is
        selected or the selection left the view (see `lost`)."""
        if self.selection is not None and self._has(self.selection):
            return self.selection
        return None

    @property
    def lost(self) -> str | None:
        """The selected key when its row is no longer in the table, else None."""
        if self.selection is not None and not self._has(self.selection):
            return self.selection
        return None

    def _has(self, key: str) -> bool:
        """Whether a row with this key is in the table: a dict lookup (a RowKey matches its
        str), not a set of every key built anew on each call."""
        return key in self.rows

    def select(self, key: str) -> bool:
        """Select the row with this key (False when it is not in the table)."""
        if not self._has(key):
            return False
        self.move_cursor(row=self.get_row_index(RowKey(key)), animate=False)
        self._choose_cursor_row()  # also when the cursor was already on that row
        return True

    def new_view(self) -> None:
        """The operator asked for another window (a page, a sort, a filter): if the selected
        row is not in it, the next `show` selects its top row instead of calling it lost."""
        self._new_view = True

    def show(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Make the table hold `rows` (key, cells) in this order, touching only what changed,
        and keep the cursor on the selected key. Strings are shown literally."""
        with self._applying_rows():
            self._show(rows)
            picked = self.selection is None or self._picked
            reselect = picked or (self._new_view and self.lost is not None)
            if reselect and self.lost is not None and self.row_count:
                self.move_cursor(row=0, animate=False)
        self._new_view = False
        if reselect:
            self._choose_cursor_row()  # the first rows, or a new window: its top row
            self._picked = picked and self.selection is not None
        self.set_class(self.lost is not None, "-lost")

    def _show(self, rows: Sequence[tuple[str, Sequence[Any]]]) -> None:
        given = [(key, tuple(cells)) for key, cells in rows]
        if self.skip_unchanged and given == self._last_rows and self.row_count == len(given):
            return  # the same rows with the same cells, in the same order
        self._last_rows = given
        self._show_changed(given)

    def _show_changed(self, rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        wanted = [key for key, _ in rows]
        wanted_set = set(wanted)
        for row in list(self.ordered_rows):
            if row.key.value not in wanted_set:
                self.remove_row(row.key)
                self._given.pop(str(row.key.value), None)
        column_keys = [column.key for column in self.ordered_columns]
        present = {row.key.value for row in self.ordered_rows}
        ascii_only = ascii_of(self.app)
        for key, raw in rows:
            if key in present and self.skip_unchanged and self._given.get(key) == raw:
                continue
            self._given[key] = raw
            cells = [literal(cell, ascii_only) for cell in raw]
            if key in present:
                for column_key, cell in zip(column_keys, cells, strict=False):
                    if self.get_cell(key, column_key) != cell:
                        self.update_cell(key, column_key, cell, update_width=True)
            else:
                self.add_row(*cells, key=key)
        if [row.key.value for row in self.ordered_rows] != wanted:
            rank = {key: i for i, key in enumerate(wanted)}
            self.sort(key=lambda values: rank.get(getattr(values[0], "row_key", ""), 0))
        if self.selection in wanted_set:
            index = self.get_row_index(RowKey(self.selection))
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False, scroll=False)


def ascii_id(shown: str) -> str:
    """A shortened id in ASCII as wide as it was (`…esd4v2d6k4` is `..sd4v2d6k4`), so the
    columns of an 80-column table still fit."""
    if shown.startswith("…") and len(shown) > 2:
        return ".." + shown[2:]
    return plain(shown, True)


def literal(cell: Any, ascii_only: bool = False) -> Any:
    """A cell as DataTable shows it, with strings as plain text: DataTable parses a str cell
    as Rich markup, so `a[i]` would vanish and a stray `[/bold]` would raise. On an ASCII
    terminal the console's punctuation (`…abc123` ids) is spelled in ASCII."""
    if isinstance(cell, RowId):  # its key orders the rows: it stays a RowId
        return RowId(ascii_id(cell.plain), cell.row_key, cell.style) if ascii_only else cell
    if isinstance(cell, str):
        cell = Text(cell, end="")
    return plain_text(cell, ascii_only) if isinstance(cell, Text) else cell
