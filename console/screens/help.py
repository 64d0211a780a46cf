"""`?`: every command, its key and what it does, straight from the registry."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from console.commands import COMMANDS


def key_label(keys: str, display: str | None) -> str:
    if display:
        return display
    return " / ".join(k.replace("_", " ") for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, read_only_reason: str | None) -> None:
        super().__init__()
        self.read_only_reason = read_only_reason

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, expand=True, pad_edge=False)
        table.add_column("key", no_wrap=True)
        table.add_column("command", no_wrap=True)
        table.add_column("what it does", ratio=1)
        for command in COMMANDS:
            note = ""
            if command.writes and self.read_only_reason:
                note = " (disabled: read-only)"
            elif command.destructive:
                note = " (asks first)"
            table.add_row(
                Text(key_label(command.keys, command.key_display)),
                Text(command.title),
                Text(command.help + note),
            )
        with VerticalScroll(id="help-box", classes="dialog"):
            yield Static("lcn console — commands (also in the palette, ctrl+p)", id="help-title")
            yield Static(table, id="help-table")
            if self.read_only_reason:
                yield Static(
                    f"Read-only: {self.read_only_reason}", id="help-readonly", markup=False
                )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
