"""Detail screens for one job or one node. They hold no data of their own: the app's poll
reads the record while the screen is open (in the same round trip) and hands it over."""

from __future__ import annotations

import json
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from console.format import ago, clock, duration, short_id, usd
from console.widgets.status_line import Banner, StatusLine
from core.money import split
from core.snapshot import JobDetail, NodeDetail


def _int(fields: dict[str, str], name: str) -> int | None:
    value = fields.get(name, "")
    try:
        return int(float(value)) if value not in ("", None) else None
    except ValueError:
        return None


def _pairs(rows: list[tuple[str, str]]) -> Text:
    width = max((len(k) for k, _ in rows), default=0)
    text = Text()
    for i, (name, value) in enumerate(rows):
        if i:
            text.append("\n")
        text.append(f"{name:<{width}}  ", style="bold")
        text.append(value)
    return text


def history_line(entry: str) -> str:
    """History entries are '<ms> <text>'; show the time as a clock."""
    stamp, _, text = entry.partition(" ")
    try:
        return f"{clock(int(stamp))}  {text}"
    except ValueError:
        return entry


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back")]
    KIND = ""

    def __init__(self, record_id: str) -> None:
        super().__init__()
        self.record_id = record_id
        self.drawn = False  # a paused console still fills a screen opened while paused
        self.gone = False  # the record no longer exists: actions on it refuse

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Banner(id="banner")
        with VerticalScroll(id="detail-body", classes="detail"):
            yield Static(Text(f"{self.KIND} {self.record_id}"), id="detail-title")
            for section in self.SECTIONS:
                yield Static(section, classes="section-title", markup=False)
                yield Static(
                    "loading…", id=f"detail-{section.lower().replace(' ', '-')}", markup=False
                )
        yield Footer()

    SECTIONS: tuple[str, ...] = ()

    def section(self, name: str, content: Text | str) -> None:
        """Fill a section; a str (code, input, logs) is shown literally, never as markup."""
        if isinstance(content, str):
            content = Text(content)
        self.query_one(f"#detail-{name.lower().replace(' ', '-')}", Static).update(content)
        self.drawn = True

    def action_close(self) -> None:
        self.app.pop_screen()

    def missing(self) -> None:
        self.gone = True
        self.section(self.SECTIONS[0], f"No {self.KIND.lower()} {self.record_id} in this pool.")


class JobDetailScreen(DetailScreen):
    KIND = "Job"
    SECTIONS = ("Summary", "Lease", "Cost", "Result", "Task", "Logs", "History")

    def show(self, detail: JobDetail, now: int) -> None:
        f = detail.fields
        self.gone = False
        task = detail.task or {}
        req = task.get("requirements") or {}
        self.section(
            "Summary",
            _pairs(
                [
                    ("state", f.get("status", "?")),
                    ("type", f"{f.get('type', '?')} (needs {f.get('tag', '?')})"),
                    ("requirements", f"{req.get('cpu', f.get('cpu', '?'))} cpu, "
                     f"{f.get('mem_mb', '?')} MB, gpu {'yes' if f.get('gpu') == '1' else 'no'}, "
                     f"timeout {f.get('timeout_s', '?')} s"),
                    ("creator", f.get("creator", "-")),
                    ("node", f.get("node") or "-"),
                    ("created", f"{clock(_int(f, 'created_at'))} "
                     f"({ago(_int(f, 'created_at'), now)} ago)"),
                    ("started", clock(_int(f, "started_at"))),
                    ("finished", clock(_int(f, "finished_at"))),
                    ("error", f.get("error") or "-"),
                    ("waiting because", f.get("pending_reason") or "-"),
                ]
            ),
        )  # fmt: skip
        expires = _int(f, "lease_expires_at")
        self.section(
            "Lease",
            _pairs(
                [
                    ("agent", f.get("agent") or "-"),
                    ("attempts", f"{f.get('attempts', '0')} of {f.get('max_attempts', '?')}"),
                    ("lease", "held (token set)" if f.get("lease_token") else "none"),
                    ("expires", f"in {duration(expires - now)}" if expires and expires > now
                     else ("expired" if expires else "-")),
                ]
            ),
        )  # fmt: skip
        actual = _int(f, "actual_cost")
        estimate = _int(f, "estimated_cost") or 0
        held = _int(f, "held") or 0
        cost_rows = [("estimate", usd(estimate)), ("held in escrow", usd(held))]
        if actual is not None:
            node_part = _int(f, "node_share")
            platform_part = _int(f, "platform_share")
            if node_part is None or platform_part is None:
                node_part, platform_part = split(actual)
            cost_rows += [
                ("actual", f"{usd(actual)} for {f.get('duration_ms', '?')} ms at "
                 f"{usd(_int(f, 'rate') or 0)}/s"),
                ("node (70%)", usd(node_part)),
                ("platform (30%)", usd(platform_part)),
            ]  # fmt: skip
        self.section("Cost", _pairs(cost_rows))
        result = f.get("result") or ""
        self.section(
            "Result",
            _pairs(
                [
                    ("result CID", f.get("result_cid") or "-"),
                    ("result", (result[:300] + "…") if len(result) > 300 else (result or "-")),
                ]
            ),
        )
        self.section("Task", json.dumps(task, indent=2) if task else "(not kept for this job)")
        logs = detail.logs
        self.section("Logs", "\n".join(logs) if logs else "(no logs)")
        self.section("History", "\n".join(history_line(h) for h in detail.history) or "-")


class NodeDetailScreen(DetailScreen):
    KIND = "Node"
    SECTIONS = ("Summary", "Capacity", "Jobs held")

    def show(self, detail: NodeDetail, now: int) -> None:
        f = detail.fields
        self.gone = False
        self.section(
            "Summary",
            _pairs(
                [
                    ("state", f.get("status", "?")),
                    ("region", f"{f.get('region', '?')} "
                     f"({f.get('lat', '?')}, {f.get('lon', '?')})"),
                    ("address", f.get("address", "-")),
                    ("reputation", f.get("reputation", "?")),
                    ("jobs", f"{f.get('jobs_completed', '0')} completed, "
                     f"{f.get('jobs_failed', '0')} failed"),
                    ("earnings", usd(_int(f, "earnings") or 0)),
                    ("registered", clock(_int(f, "registered_at"))),
                    ("last seen", f"{ago(_int(f, 'last_seen'), now)} ago"),
                ]
            ),
        )  # fmt: skip
        self.section(
            "Capacity",
            _pairs(
                [
                    ("cpu", f"{f.get('cpu_used', '0')} of {f.get('cpu', '?')} used"),
                    ("memory", f"{f.get('mem_used', '0')} of {f.get('memory_mb', '?')} MB used"),
                    ("gpu", "yes" if f.get("gpu") == "1" else "no"),
                    ("runtimes", ", ".join(json.loads(f.get("runtimes") or "[]")) or "-"),
                    ("models", ", ".join(json.loads(f.get("models") or "[]")) or "-"),
                    ("price", f"{usd(_int(f, 'price_cpu') or 0)}/cpu·s, "
                     f"{usd(_int(f, 'price_mem') or 0)}/GB·s"),
                ]
            ),
        )  # fmt: skip
        self.section("Jobs held", "\n".join(short_id(j, 20) for j in detail.jobs) or "(none)")
