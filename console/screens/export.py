"""Which format to export the current view in (`e`): CSV (focused, so Enter takes it) or JSON."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ExportScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "pick('csv')", "CSV"),
        Binding("j", "pick('json')", "JSON"),
        Binding("escape", "pick('')", "Cancel"),
        Binding("left,right,tab", "app.focus_next", "Switch", show=False),
    ]

    def __init__(self, what: str, where: str) -> None:
        super().__init__()
        self.what = what
        self.where = where

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box", classes="dialog"):
            # `what` names the filter, which the operator typed: shown literally.
            yield Static(f"Export {self.what}", id="export-title", markup=False)
            yield Static(f"Into {self.where} (LCN_EXPORT_DIR changes it). c: CSV, j: JSON, "
                         "Esc: cancel.", id="export-hint", markup=False)  # fmt: skip
            with Horizontal(id="export-buttons"):
                yield Button("CSV", id="csv", variant="primary")
                yield Button("JSON", id="json")

    def on_mount(self) -> None:
        self.query_one("#csv", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id)

    def action_pick(self, fmt: str) -> None:
        self.dismiss(fmt or None)
