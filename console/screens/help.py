"""`?`: every command and its key, straight from the registry, on one screen without scrolling,
grouped by the screen where its key works (the dashboard's work on every screen).

A terminal of 120×36 or more gets one row per command with what it does; a smaller one (80×24)
gets the dashboard's keys and titles in columns and each other screen's on one line, and the
palette (ctrl+p) has each one's sentence. Either way the last line says how to close it."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from console.commands import COMMANDS, SCREEN_TITLES, Command, of_screen
from console.glyphs import ascii_of, plain

CLOSE = "Esc, q or ? closes this help."
FULL_SIZE = (120, 36)  # the size from which each command gets its sentence, if they all fit
COLUMNS = 3  # key-and-title columns on a smaller terminal
COMPACT_WIDTH = 74  # what an 80-column terminal leaves inside the box's border and padding
GROUP_GAP = "    "


def key_label(keys: str, display: str | None, ascii_only: bool = False) -> str:
    if display:
        return plain(display, ascii_only)  # the replay's ←/→ are </> in ASCII
    return " / ".join(k.replace("_", " ") for k in keys.split(","))


def mark(command: Command, read_only: bool) -> str:
    """`*` asks before it acts, `-` is disabled (read-only)."""
    if command.writes and read_only:
        return " -"
    return " *" if command.destructive else ""


def full_help(read_only: bool, ascii_only: bool = False) -> Group:
    """One row per command with what it does, under each screen's name; the columns line up
    from one screen's table to the next."""
    key_width = max(len(key_label(c.keys, c.key_display, ascii_only)) for c in COMMANDS)
    title_width = max(len(c.title) for c in COMMANDS)
    parts: list[Table | Text] = []
    for screen, heading in SCREEN_TITLES.items():
        parts.append(Text(heading, style="bold underline"))
        table = Table(box=None, show_header=False, expand=True, pad_edge=False)
        table.add_column(no_wrap=True, width=key_width)
        table.add_column(no_wrap=True, width=title_width)
        table.add_column(ratio=1)
        for command in of_screen(screen):
            note = ""
            if command.writes and read_only:
                note = " (disabled: read-only)"
            elif command.destructive:
                note = " (asks first)"
            table.add_row(
                Text(key_label(command.keys, command.key_display, ascii_only), style="bold"),
                Text(command.title),
                Text(command.help + note),
            )
        parts.append(table)
    return Group(*parts)


def compact_table(read_only: bool, columns: int = COLUMNS, ascii_only: bool = False) -> Table:
    """The dashboard's keys and titles in `columns` columns, filled top to bottom so
    neighbours stay together."""
    table = Table(box=None, show_header=False, expand=True, pad_edge=False, padding=(0, 1))
    for _ in range(columns):
        table.add_column(no_wrap=True, justify="right")
        table.add_column(no_wrap=True, ratio=1)
    shown = of_screen("dashboard")
    rows = -(-len(shown) // columns)
    for row in range(rows):
        cells: list[Text] = []
        for column in range(columns):
            index = column * rows + row
            if index < len(shown):
                command = shown[index]
                cells += [
                    Text(key_label(command.keys, command.key_display, ascii_only), style="bold"),
                    Text(command.title + mark(command, read_only)),
                ]
            else:
                cells += [Text(""), Text("")]
        table.add_row(*cells)
    return table


def compact_help(read_only: bool, width: int = COMPACT_WIDTH, ascii_only: bool = False) -> Group:
    """80×24: the dashboard's commands in columns under its heading, then the other screens',
    each its name and its keys and titles, as many to a line as fit in `width`."""
    parts: list[Table | Text] = [Text(SCREEN_TITLES["dashboard"], style="bold underline")]
    parts.append(compact_table(read_only, ascii_only=ascii_only))
    line = Text(no_wrap=True, overflow="ellipsis")
    for screen, heading in SCREEN_TITLES.items():
        if screen == "dashboard":
            continue
        group = Text()
        group.append(heading, style="bold underline")
        for command in of_screen(screen):
            group.append("  ")
            group.append(key_label(command.keys, command.key_display, ascii_only), style="bold")
            group.append(f" {command.title}{mark(command, read_only)}")
        if line.cell_len and line.cell_len + len(GROUP_GAP) + group.cell_len > width:
            parts.append(line)
            line = Text(no_wrap=True, overflow="ellipsis")
        if line.cell_len:
            line.append(GROUP_GAP)
        line.append_text(group)
    if line.cell_len:
        parts.append(line)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, read_only_reason: str | None) -> None:
        super().__init__()
        self.read_only_reason = read_only_reason

    def compose(self) -> ComposeResult:
        width, height = self.app.size
        self.full = width >= FULL_SIZE[0] and height >= FULL_SIZE[1]
        with Vertical(id="help-box", classes="dialog"):
            yield Static(plain("lcn console — commands", ascii_of(self.app)), id="help-title")
            yield Static(id="help-table")
            yield Static(id="help-notes", markup=False)
            if self.read_only_reason:
                yield Static(
                    f"Read-only: {self.read_only_reason}", id="help-readonly", markup=False
                )
            yield Static(CLOSE, id="help-close", markup=False)

    def on_mount(self) -> None:
        self.fill()
        if self.full:
            self.call_after_refresh(self.fit)

    def fill(self) -> None:
        read_only = bool(self.read_only_reason)
        box = self.query_one("#help-box")
        box.set_class(self.full, "-full")
        box.set_class(not self.full, "-compact")  # no blank line under the title: 24 rows
        ascii_only = ascii_of(self.app)
        if self.full:
            table = full_help(read_only, ascii_only)
        else:
            table = compact_help(read_only, ascii_only=ascii_only)
        self.query_one("#help-table", Static).update(table)
        notes = [] if self.full else ["* asks first.", "ctrl+p: each with what it does."]
        if read_only:
            notes.append("- disabled.")
        notes_line = self.query_one("#help-notes", Static)
        notes_line.update(" ".join(notes))
        notes_line.display = bool(notes)

    def fit(self) -> None:
        """A terminal too short for a row per command (their sentences wrap, more screens
        came) gets the compact help: help never scrolls."""
        if self.query_one("#help-box").max_scroll_y > 0:
            self.full = False
            self.fill()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
