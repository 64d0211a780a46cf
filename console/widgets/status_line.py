"""The status line (always visible: connection, counts, refresh) and the banner that appears
while Redis is unreachable or the console is still starting."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.widgets import Static


class Part(NamedTuple):
    """A piece of the status line: its text, its component ('' for the default style) and its
    rank (0 is kept longest: a narrow terminal drops the highest ranks first)."""

    text: str
    component: str = ""
    rank: int = 9


def fit(parts: list[Part], width: int) -> list[Part]:
    """The parts that fit in `width` cells, in their order, dropping the least important
    (highest rank, the later of equals) first; the last one kept is cut if it still overflows."""
    kept = list(parts)
    while len(kept) > 1 and sum(len(p.text) for p in kept) > width:
        worst = max(range(len(kept)), key=lambda i: (kept[i].rank, i))
        del kept[worst]
    return kept


class StatusLine(Static):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--ok", "status--down", "status--paused", "status--readonly", "status--dim",
        "status--pane",
    }  # fmt: skip

    parts: tuple[Part, ...] = ()  # what was last shown, fitted again at each resize
    _shown: tuple[str, tuple[object, ...]] | None = None  # the line last given to Static
    # Off: every poll sets the line and lays the screen out (`lcn bench console` baseline).
    skip_unchanged: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._styles: dict[str, Style] = {}

    def show(self, parts: list[Part]) -> None:
        """Show what fits of `parts` now, and again at each resize."""
        self.parts = tuple(parts)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()

    def _style(self, component: str) -> Style:
        """A component's style, worked out once per theme (Textual's own cache is cleared at
        every repaint, and the line is drawn at every poll)."""
        found = self._styles.get(component) if self.skip_unchanged else None
        if found is None:
            found = self._styles[component] = self.get_component_rich_style(f"status--{component}")
        return found

    def _draw(self) -> None:
        width = self.content_size.width or self.app.size.width
        line = Text(no_wrap=True, overflow="ellipsis")
        for part in fit(list(self.parts), width):
            style = self._style(part.component) if part.component else ""
            line.append(part.text, style=style)
        shown = (line.plain, tuple(line.spans))
        if not self.skip_unchanged:
            self.update(line)
            return
        if shown == self._shown:
            return  # an unchanged line repaints nothing
        self._shown = shown
        # A line of fixed height cannot change the layout: only it is repainted, rather than
        # the whole screen laid out again at every poll (its timing changes each time).
        height = self.styles.height
        self.update(line, layout=height is None or not height.is_cells)


class Banner(Static):
    """Shown (class -shown) while the console cannot reach Redis, or (-starting) while it is
    still starting; says what it is doing."""

    shown_text: str | None = None  # what console.status last gave it
