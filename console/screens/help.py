"""`?`: every command and its key, straight from the registry, on one screen without scrolling.

A terminal of 120×36 or more gets one row per command with what it does; a smaller one (80×24)
gets the keys and titles in columns, and the palette (ctrl+p) has each one's sentence. Either
way the last line says how to close it."""

from __future__ import annotations

import io
from typing import ClassVar

from rich.console import Console
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from console.commands import COMMANDS, Command

CLOSE = "Esc, q or ? closes this help."
FULL_SIZE = (120, 36)  # the size from which each command gets its sentence, if they all fit
HELP_WIDTH = 96  # #help-box in styles/lcn.tcss
CHROME = 8  # lines around the table: border, padding, title, notes, read-only, close
COLUMNS = 3  # key-and-title columns on a smaller terminal


def key_label(keys: str, display: str | None) -> str:
    if display:
        return display
    return " / ".join(k.replace("_", " ") for k in keys.split(","))


def mark(command: Command, read_only: bool) -> str:
    """`*` asks before it acts, `-` is disabled (read-only)."""
    if command.writes and read_only:
        return " -"
    return " *" if command.destructive else ""


def full_table(read_only: bool) -> Table:
    table = Table(box=None, show_header=True, expand=True, pad_edge=False)
    table.add_column("key", no_wrap=True)
    table.add_column("command", no_wrap=True)
    table.add_column("what it does", ratio=1)
    for command in COMMANDS:
        note = ""
        if command.writes and read_only:
            note = " (disabled: read-only)"
        elif command.destructive:
            note = " (asks first)"
        table.add_row(
            Text(key_label(command.keys, command.key_display), style="bold"),
            Text(command.title),
            Text(command.help + note),
        )
    return table


def table_lines(table: Table) -> int:
    """How many lines `table` takes in the help box (its sentences wrap)."""
    console = Console(width=HELP_WIDTH - 4, file=io.StringIO(), color_system=None)
    return len(console.render_lines(table, pad=False))


def compact_table(read_only: bool, columns: int = COLUMNS) -> Table:
    """Keys and titles in `columns` columns, filled top to bottom so neighbours stay together."""
    table = Table(box=None, show_header=False, expand=True, pad_edge=False, padding=(0, 1))
    for _ in range(columns):
        table.add_column(no_wrap=True, justify="right")
        table.add_column(no_wrap=True, ratio=1)
    rows = -(-len(COMMANDS) // columns)
    for row in range(rows):
        cells: list[Text] = []
        for column in range(columns):
            index = column * rows + row
            if index < len(COMMANDS):
                command = COMMANDS[index]
                cells += [
                    Text(key_label(command.keys, command.key_display), style="bold"),
                    Text(command.title + mark(command, read_only)),
                ]
            else:
                cells += [Text(""), Text("")]
        table.add_row(*cells)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, read_only_reason: str | None) -> None:
        super().__init__()
        self.read_only_reason = read_only_reason

    def compose(self) -> ComposeResult:
        read_only = bool(self.read_only_reason)
        width, height = self.app.size
        full = width >= FULL_SIZE[0] and height >= FULL_SIZE[1]
        if full:  # every sentence, as long as the registry's rows still fit without scrolling
            full = table_lines(full_table(read_only)) + CHROME <= height * 9 // 10  # max-height
        with Vertical(id="help-box", classes="dialog"):
            yield Static("lcn console — commands", id="help-title")
            yield Static(full_table(read_only) if full else compact_table(read_only),
                         id="help-table")  # fmt: skip
            notes = [] if full else ["* asks first.", "ctrl+p: each with what it does."]
            if read_only:
                notes.append("- disabled.")
            yield Static(" ".join(notes), id="help-notes", markup=False)
            if self.read_only_reason:
                yield Static(
                    f"Read-only: {self.read_only_reason}", id="help-readonly", markup=False
                )
            yield Static(CLOSE, id="help-close", markup=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
