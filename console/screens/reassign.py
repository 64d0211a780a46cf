"""Choose where a job goes: the scheduler's best node, or one of the nodes that can run it
and has room now (the same bounded candidate list placement reads)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.format import short_id, usd
from core.reads.capable import Capable

BEST = "__best__"


class ReassignScreen(ModalScreen[str | None]):
    """Dismisses with a node id, "" for the best node, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, job_id: str, capable: Capable) -> None:
        super().__init__()
        self.job_id = job_id
        self.capable = capable

    def compose(self) -> ComposeResult:
        c = self.capable
        fitting = [n for n in c.nodes if n.fits]
        options = [Option("Best available node (the scheduler chooses)", id=BEST)]
        for n in c.nodes:
            label = (
                f"{short_id(n.node_id)}  {n.region:<15} rep {n.reputation:>3}  "
                f"cpu {n.cpu_used}/{n.cpu:<3} {usd(n.rate)}/s"
            )
            if n.node_id == c.current:
                label += "  (current)"
            elif not n.fits:
                label += "  (no room)"
            options.append(Option(Text(label), id=n.node_id, disabled=not n.fits))
        with Vertical(id="reassign-box", classes="dialog"):
            yield Static(
                f"Reassign job {short_id(self.job_id)} ({c.status}, needs {c.tag})",
                id="reassign-title",
                markup=False,
            )
            yield Static(
                f"{c.capable} registered nodes can run it; {len(fitting)} of the best "
                f"{len(c.nodes)} have room now. Enter chooses, Escape cancels.",
                id="reassign-hint",
                markup=False,
            )
            yield OptionList(*options, id="reassign-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id or BEST
        self.dismiss("" if chosen == BEST else chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
