"""A pane of the dashboard: a titled box that draws itself from a snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakKeyDictionary

from rich.text import Text
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from console.format import short_id
from console.glyphs import ascii_of, plain, plain_text
from console.widgets.live_table import LiveTable

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.snapshot import Snapshot


class ChangedTitle:
    """A border title or subtitle that is set only when it changed. Textual refreshes the
    whole widget on every set (its style cache cleared, the table under it painted again),
    and every poll sets both; an unchanged title now costs nothing."""

    enabled: ClassVar[bool] = True  # `lcn bench console` measures its baseline without it

    def __set_name__(self, owner: type[Widget], name: str) -> None:
        self._name = name
        self._given = f"_{name}_given"

    def __get__(self, obj: Widget | None, objtype: type[Widget] | None = None) -> Any:
        return (
            getattr(Widget, self._name)
            if obj is None
            else Widget.__dict__[self._name].__get__(obj, objtype)
        )

    def __set__(self, obj: Widget, value: Any) -> None:
        if ChangedTitle.enabled and obj.__dict__.get(self._given, self) == value:
            return
        obj.__dict__[self._given] = value
        Widget.__dict__[self._name].__set__(obj, value)


class Pane(Vertical):
    """Subclasses set PANE (its name, also its number key's argument) and TITLE."""

    border_title = ChangedTitle()
    border_subtitle = ChangedTitle()

    PANE = ""
    TITLE = ""
    NUMBER = 0

    def __init__(self) -> None:
        super().__init__(id=f"pane-{self.PANE}", classes="pane")
        # What each Static was last given (weak: a recomposed Static starts afresh).
        self._shown: WeakKeyDictionary[Static, str] = WeakKeyDictionary()
        self.border_title = f"{self.NUMBER} {self.TITLE}"
        self.drawn = False  # whether a snapshot was ever drawn here (a paused console draws
        # a pane only when it has never been drawn or the operator asked for another window)

    def render_str(self, text_content: str | Content) -> Content:
        """Border titles are shown literally (they carry filters the operator typed), in
        ASCII punctuation on an ASCII terminal."""
        if isinstance(text_content, Content):
            return text_content
        return Content(plain(text_content, ascii_of(self.app)))

    def selection_note(self) -> str:
        """What the subtitle says when the selected row has left this pane's window."""
        lost = self.table.lost
        if lost is None:
            return ""
        return f"selected {short_id(lost.partition(':')[2] or lost)} not in view · "

    @property
    def table(self) -> LiveTable:
        return self.query_one(LiveTable)

    def visible_rows(self) -> int:
        """How many table rows fit: the window to ask the snapshot for."""
        table = self.table
        height = table.scrollable_content_region.height if table.size.height else 0
        return max(5, height - (1 if table.show_header else 0))

    def update_from(self, snapshot: Snapshot, state: ConsoleState) -> None:
        raise NotImplementedError

    def set_text(self, selector: str, content: Text | str) -> None:
        """Update a Static only when its content changed: an unchanged poll redraws nothing.
        A str is shown literally, never parsed as markup."""
        widget = self.query_one(selector, Static)
        if isinstance(content, str):
            content = Text(content)
        content = plain_text(content, ascii_of(self.app))
        key = content.markup
        if self._shown.get(widget) != key:
            self._shown[widget] = key
            widget.update(content)

    def set_series(self, selector: str, values: list[int]) -> None:
        sparkline = self.query_one(selector, Sparkline)
        data = [float(v) for v in values]
        if sparkline.data != data:
            sparkline.data = data


def window_label(offset: int, shown: int, total: int, exact: bool = True) -> str:
    if not shown:
        return "no rows"
    more = "" if exact else "+"
    return f"{offset + 1}–{offset + shown} of {total:,}{more}"
