"""The status line (always visible: connection, counts, refresh) and the banner that appears
while Redis is unreachable or the console is still starting."""

from __future__ import annotations

from typing import ClassVar, NamedTuple

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

    def show(self, parts: list[Part]) -> None:
        """Show what fits of `parts` now, and again at each resize."""
        self.parts = tuple(parts)
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_size.width or self.app.size.width
        line = Text(no_wrap=True, overflow="ellipsis")
        for part in fit(list(self.parts), width):
            style = (
                self.get_component_rich_style(f"status--{part.component}") if part.component else ""
            )
            line.append(part.text, style=style)
        self.update(line)


class Banner(Static):
    """Shown (class -shown) while the console cannot reach Redis, or (-starting) while it is
    still starting; says what it is doing."""
