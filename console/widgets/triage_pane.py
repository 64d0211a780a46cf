"""Pane 5: what needs a human, most severe first; Enter opens the job or node."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Static

from console.format import ago, short_id
from console.triage_words import triage_sentence
from console.widgets.live_table import LiveTable, RowId
from console.widgets.pane import Pane

if TYPE_CHECKING:
    from console.state import ConsoleState
    from core.reads.snapshot import Snapshot

COLUMNS = [
    ("sev", "severity"), ("kind", "what"), ("target", "target"), ("since", "since"),
    ("summary", "detail"),
]  # fmt: skip
KIND_LABEL = {
    "ledger": "ledger", "stripe_key": "Stripe key", "overdue": "past timeout",
    "offline_holding": "offline, holds jobs", "offline": "node offline",
    "stalled_agent": "stalled agent", "unrunnable": "no capable node", "failed": "failed job",
    "redis_memory": "Redis full", "payouts_failed": "failed payouts", "queue_age": "queue waits",
}  # fmt: skip


def triage_key(kind: str, target: str) -> str:
    """Row key: the target kind and id, so Enter knows whether it opens a job or a node."""
    return f"{kind}:{target}"


class TriagePane(Pane):
    PANE = "triage"
    TITLE = "Triage"
    NUMBER = 5

    def compose(self) -> ComposeResult:
        yield Static(
            "Nothing needs a human right now: no job past its timeout, no failures, no offline "
            "node holding jobs, no stalled agent, no job that no node can run.",
            id="triage-empty",
        )
        yield LiveTable(COLUMNS, id="triage-table")

    def update_from(self, snapshot: Snapshot, state: ConsoleState) -> None:
        triage = snapshot.triage
        if triage is None:
            return
        table = self.table
        items = triage.items
        self.query_one("#triage-empty", Static).set_class(not items, "-shown")
        table.show(
            [
                (
                    triage_key(item.target_kind, item.target),
                    [
                        RowId(
                            item.severity,
                            triage_key(item.target_kind, item.target),
                            table.state_text(item.severity).style,
                        ),
                        table.state_text(item.severity, KIND_LABEL[item.kind]),
                        short_id(item.target) if item.target_kind in ("job", "node")
                        else item.target,
                        ago(item.since_ms, snapshot.now_ms),
                        triage_sentence(item, snapshot.now_ms),
                    ],
                )
                for item in items
            ]
        )  # fmt: skip
        self.border_subtitle = self.selection_note().removesuffix(" · ")
        serious = sum(1 for i in items if i.severity in ("critical", "high"))
        self.border_title = (
            f"{self.NUMBER} Triage · {len(items)} items · {serious} serious · "
            f"{triage.overdue_count} past timeout · {triage.failed_count:,} failed"
        )
