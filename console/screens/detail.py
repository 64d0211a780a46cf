"""Detail screens for one job or one node. They hold no data of their own: the app's poll
reads the record while the screen is open (in the same round trip) and hands it over."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from console import commands
from console.format import ago, clock, duration, short_id, usd, usd_exact
from console.glyphs import glyph, labelled, plain, plain_text
from console.screens.detail_blobs import LazyBlobs
from console.widgets.status_line import Banner, StatusLine
from core.models.records.job import JobRecord
from core.models.records.node import NodeRecord
from core.reads.detail import JobDetail, NodeDetail


def _shown(value: object) -> str:
    """A value that may be unknown, as the detail shows it."""
    return "?" if value is None else str(value)


def _pairs(rows: list[tuple[str, str]]) -> Text:
    width = max((len(k) for k, _ in rows), default=0)
    text = Text()
    for i, (name, value) in enumerate(rows):
        if i:
            text.append("\n")
        text.append(f"{name:<{width}}  ", style="bold")
        text.append(value)
    return text


INPUT_LINES = 8  # an input longer than this is folded until the operator unfolds it (`i`)
MICRO_USD = re.compile(r"(-?\d+) µUSD")
LEXERS = {
    "javascript": "javascript",
    "js": "javascript",
    "python": "python",
    "py": "python",
    "json": "json",
}


def in_dollars(text: str) -> str:
    """History written by the core counts micro-USD; the detail shows dollars only."""
    return MICRO_USD.sub(lambda m: usd_exact(int(m.group(1))), text)


def when(at: int | None, now: int) -> str:
    """A moment both ways: how long ago, then the UTC clock ("12s ago · 14:03:07"); the date
    too when it is not today's."""
    if not at:
        return "-"
    stamp = clock(at)
    day, _, time_of_day = stamp.partition(" ")
    shown = time_of_day if day == clock(now).partition(" ")[0] else stamp
    return f"{ago(at, now)} ago · {shown}"


def history_line(entry: str, now: int) -> str:
    """History entries are '<ms> <text>': each says how long ago, then the clock, aligned."""
    stamp, _, text = entry.partition(" ")
    try:
        at = int(stamp)
    except ValueError:
        return in_dollars(entry)
    return f"{when(at, now):>20}  {in_dollars(text)}"


def code_view(code: str, language: str | None) -> Syntax:
    """Code as code: highlighted by its language, numbered, wrapped. A Syntax never reads its
    text as markup, so submitted code is shown exactly as it was sent."""
    lexer = LEXERS.get((language or "").lower(), "text")
    return Syntax(
        code,
        lexer,
        theme="ansi_dark",
        line_numbers=True,
        word_wrap=True,
        background_color="default",
    )


def input_view(value: Any, unfolded: bool) -> tuple[Syntax, str]:
    """The job's input as indented JSON, cut to INPUT_LINES unless unfolded; and a note saying
    how much is hidden and how to see it."""
    text = value if isinstance(value, str) else json.dumps(value, indent=2)
    lines = text.splitlines() or [""]
    language = "text" if isinstance(value, str) else "json"
    if unfolded or len(lines) <= INPUT_LINES:
        note = "" if len(lines) <= INPUT_LINES else f"{len(lines)} lines · i folds"
        return code_view(text, language), note
    shown = "\n".join(lines[:INPUT_LINES])
    hidden = len(lines) - INPUT_LINES
    return code_view(shown, language), f"… {hidden} more lines · i shows all"


class DetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = commands.bindings("detail")
    COMMAND_SCREENS: ClassVar[tuple[commands.ScreenName, ...]] = ("detail",)
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
                slug = section.lower().replace(" ", "-")
                yield Static(section, id=f"section-{slug}", classes="section-title", markup=False)
                body = Static(
                    plain("loading…", self.ascii_glyphs), id=f"detail-{slug}", markup=False
                )
                if section in self.SCROLLED:
                    # Its own scroll box: a log tail scrolls (or follows) on its own.
                    with VerticalScroll(id=f"detail-{slug}-box", classes="detail-box"):
                        yield body
                else:
                    yield body
                for part in self.PARTS.get(section, ()):
                    yield Static("", id=f"detail-{part}", classes="detail-part", markup=False)
        yield Footer()

    SECTIONS: tuple[str, ...] = ()

    @property
    def ascii_glyphs(self) -> bool:
        """The console's glyph set (console.glyphs): ASCII on a terminal without Unicode."""
        state = getattr(self.app, "state", None)
        return bool(getattr(state, "ascii", False))

    SCROLLED: tuple[str, ...] = ()  # sections in a scroll box of their own
    # Further widgets under a section (a job's code and input), filled by `part`.
    PARTS: ClassVar[dict[str, tuple[str, ...]]] = {}

    def part(self, name: str, content: Syntax | Text | str | None) -> None:
        """Fill or hide a part; a str is shown literally, never as markup."""
        widget = self.query_one(f"#detail-{name}", Static)
        widget.display = content is not None and content != ""
        if content is not None:
            widget.update(Text(content) if isinstance(content, str) else content)

    def section(self, name: str, content: Text | str) -> None:
        """Fill a section; a str (code, input, logs) is shown literally, never as markup, and
        the console's own words (Text) in ASCII punctuation on an ASCII terminal."""
        if isinstance(content, str):
            content = Text(content)
        else:
            content = plain_text(content, self.ascii_glyphs)
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
    SCROLLED = ("Logs",)
    PARTS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Task": ("code-title", "code", "input-title", "input", "input-note")
    }
    BINDINGS: ClassVar[list[BindingType]] = commands.bindings("job detail")
    COMMAND_SCREENS: ClassVar[tuple[commands.ScreenName, ...]] = ("detail", "job detail")

    def __init__(self, record_id: str) -> None:
        super().__init__(record_id)
        self.input_unfolded = False
        # Like `tail -f` and k9s: a running job's log is followed until the operator says not
        # to (`f`); None until the first draw, or until the operator chose.
        self.follow: bool | None = None
        self._logs_shown: list[str] | None = None
        self.last: tuple[JobDetail, int] | None = None
        self._task_shown: tuple[dict[str, Any], bool, str | None] | None = None  # last drawn
        self.blobs = LazyBlobs()  # a large input, code or result, read once for this screen

    def action_toggle_follow(self) -> None:
        """Follow the log tail, or stop and keep the position; said in the Logs title."""
        self.follow = not self.following
        self._title_logs()
        if self.follow:
            self.query_one("#detail-logs-box", VerticalScroll).scroll_end(animate=False)
        self.app.notify(
            "Following the log: new lines scroll into view." if self.follow
            else "Not following: the log stays where it is.",
            timeout=2,
        )  # fmt: skip

    @property
    def following(self) -> bool:
        """Whether the log view scrolls with new lines: on by default for a running job."""
        if self.follow is not None:
            return self.follow
        return self.last is not None and self.last[0].job.status == "running"

    def _title_logs(self) -> None:
        lines = len(self._logs_shown or [])
        count = f" · {lines} lines" if lines else ""
        hint = "following · f stops" if self.following else "f follows"
        words = plain(f"Logs{count} · {hint}", self.ascii_glyphs)
        self.query_one("#section-logs", Static).update(Text(words))

    def show_logs(self, logs: list[str]) -> None:
        """The log tail, drawn again only when it changed; while following, scrolled to its
        newest line, else left where the operator put it."""
        if logs == self._logs_shown:
            return
        self._logs_shown = logs
        self.section("Logs", "\n".join(logs) if logs else "(no logs)")
        self._title_logs()
        if self.following:
            box = self.query_one("#detail-logs-box", VerticalScroll)
            # after the new text is laid out, so the end is the new end
            self.call_after_refresh(box.scroll_end, animate=False)

    def action_toggle_input(self) -> None:
        """Fold or unfold a long input; drawn again at once, a paused console too."""
        self.input_unfolded = not self.input_unfolded
        if self.last is not None:
            self.show(*self.last)

    def redraw(self) -> None:
        if self.last is not None:
            self.show(*self.last)

    def show(self, detail: JobDetail, now: int) -> None:
        self.gone = False
        self.last = (detail, now)
        detail = self.blobs.whole(detail, self, self.redraw)
        job = detail.job
        self.show_title(detail.archived)
        task = job.task_body or {}
        req = task.get("requirements") or {}
        self.section(
            "Summary",
            _pairs(
                [
                    ("state", labelled(job.status or "?", self.ascii_glyphs)),
                    ("type", f"{job.job_type or '?'} (needs {job.tag or '?'})"),
                    ("requirements", f"{req.get('cpu', _shown(job.cpu))} cpu, "
                     f"{_shown(job.mem_mb)} MB, gpu {'yes' if job.gpu else 'no'}, "
                     f"timeout {_shown(job.timeout_s)} s"),
                    ("creator", job.creator or "-"),
                    ("node", job.node_id or "-"),
                    ("created", when(job.created_at, now)),
                    ("started", when(job.started_at, now)),
                    ("finished", when(job.finished_at, now)),
                    ("error", job.error or "-"),
                    ("waiting because", job.pending_reason or "-"),
                ]
            ),
        )  # fmt: skip
        self.section("Lease", _pairs(lease_rows(job, now)))
        cost_rows = [
            ("estimate", usd_exact(job.estimated_cost)),
            ("held in escrow", usd_exact(job.held or 0)),
        ]
        if job.actual_cost is not None and job.shares is not None:
            node_part, platform_part = job.shares
            cost_rows += [
                ("actual", f"{usd_exact(job.actual_cost)} for {_shown(job.duration_ms)} ms at "
                 f"{usd_exact(job.rate or 0)}/s"),
                ("node (70%)", usd_exact(node_part)),
                ("platform (30%)", usd_exact(platform_part)),
            ]  # fmt: skip
        self.section("Cost", _pairs(cost_rows))
        result = job.result or ""
        self.section(
            "Result",
            _pairs(
                [
                    ("result CID", job.result_cid or "-"),
                    ("result", (result[:300] + "…") if len(result) > 300 else (result or "-")),
                ]
            ),
        )
        self.show_task(task, self.blobs.note(detail))
        self.show_logs(job.logs)
        self.section("History", "\n".join(history_line(h, now) for h in detail.history) or "-")

    def show_title(self, archived: bool) -> None:
        """The header says when the job was read from the archive (it has left Redis: finished
        a while ago, and no action applies to it any more)."""
        title = Text(f"{self.KIND} {self.record_id}")
        if archived:
            title.append("  archived", style="bold reverse")
        self.query_one("#detail-title", Static).update(title)

    def show_task(self, task: dict[str, Any], pending: str | None = None) -> None:
        """What was asked for, in rows; its code highlighted by language; its input folded.
        Drawn again only when the task or the fold changed: a poll that brings the same task
        does not highlight its code anew."""
        if self._task_shown == (task, self.input_unfolded, pending):
            return
        self._task_shown = (task, self.input_unfolded, pending)
        if not task:
            self.section("Task", "(not kept for this job)")
            for name in self.PARTS["Task"]:
                self.part(name, None)
            return
        rows = [
            (name, value if isinstance(value, str) else json.dumps(value))
            for name, value in task.items()
            if name not in ("code", "input") and value not in (None, "", [], {})
        ]
        self.section("Task", _pairs(rows))
        code = task.get("code")
        language = task.get("language")
        if isinstance(code, str) and code:
            self.part("code-title", f"code ({language or 'plain text'})")
            self.part("code", code_view(code, language if isinstance(language, str) else None))
        else:
            self.part("code-title", None)
            self.part("code", None)
        value = task.get("input")
        if pending is not None:  # the input or code is kept by CID and not read yet
            self.part("input-title", "input")
            self.part("input", None)
            self.part("input-note", pending)
            return
        if value in (None, "", [], {}):
            self.part("input-title", None)
            self.part("input", None)
            self.part("input-note", None)
            return
        view, note = input_view(value, self.input_unfolded)
        self.part("input-title", "input")
        self.part("input", view)
        self.part("input-note", note or None)


def lease_rows(job: JobRecord, now: int) -> list[tuple[str, str]]:
    """The lease is shown only while there is one: an assigned or running job with a token."""
    rows = [
        ("agent", job.agent_id or "-"),
        ("attempts", f"{job.attempts} of {job.max_attempts}"),
    ]
    left = job.lease_left(now)
    if left is None:
        rows.append(("lease", "none"))
    else:
        rows.append(
            ("lease", f"held, expires in {duration(left)}" if left > 0
             else f"expired {duration(-left)} ago, awaiting the sweep")
        )  # fmt: skip
    return rows


class NodeDetailScreen(DetailScreen):
    KIND = "Node"
    SECTIONS = ("Summary", "Capacity", "Jobs held")

    def show(self, detail: NodeDetail, now: int) -> None:
        node = detail.node
        self.gone = False
        self.section(
            "Summary",
            _pairs(
                [
                    (
                        "state",
                        f"{glyph(node.status or '', self.ascii_glyphs)} "
                        f"{node_state_line(node, now)}".lstrip(),
                    ),
                    ("region", f"{node.region or '?'} ({_shown(node.lat)}, {_shown(node.lon)})"),
                    ("address", node.address or "-"),
                    ("reputation", str(node.reputation)),
                    ("jobs", f"{node.jobs_completed} completed, {node.jobs_failed} failed"),
                    ("earnings", usd(node.earnings)),
                    ("registered", clock(node.registered_at)),
                    ("last seen", f"{ago(node.last_seen, now)} ago"),
                ]
            ),
        )
        self.section(
            "Capacity",
            _pairs(
                [
                    ("cpu", f"{node.cpu_used} of {node.cpu} used"),
                    ("memory", f"{node.mem_used} of {node.memory_mb} MB used"),
                    ("gpu", "yes" if node.gpu else "no"),
                    ("runtimes", ", ".join(node.runtimes) or "-"),
                    ("models", ", ".join(node.models) or "-"),
                    ("price", f"{usd(node.price_cpu)}/cpu·s, {usd(node.price_mem)}/GB·s"),
                ]
            ),
        )
        self.section("Jobs held", "\n".join(short_id(j, 20) for j in detail.jobs) or "(none)")


def node_state_line(node: NodeRecord, now: int) -> str:
    """An operator's offline names who holds it: heartbeats do not lift it, `O` does."""
    state = node.status or "?"
    if state == "offline" and node.held_offline_by:
        return (
            f"{state}, held by {node.held_offline_by} for {ago(node.held_offline_at, now)} "
            "(O brings it back online)"
        )
    return state
