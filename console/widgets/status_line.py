"""The status line (always visible: connection, counts, refresh) and the banner that appears
while Redis is unreachable."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status--ok", "status--down", "status--paused", "status--readonly", "status--dim",
        "status--pane",
    }  # fmt: skip

    def show(self, parts: list[tuple[str, str]]) -> None:
        """Parts are (text, component) pairs; component '' for the default style."""
        line = Text(no_wrap=True, overflow="ellipsis")
        for text, component in parts:
            style = self.get_component_rich_style(f"status--{component}") if component else ""
            line.append(text, style=style)
        self.update(line)


class Banner(Static):
    """Shown (class -shown) while the console cannot reach Redis; says what it is doing."""
