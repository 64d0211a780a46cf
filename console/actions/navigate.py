"""Opening what is selected (enter) or named (g): a job's or a node's detail screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from console import selection
from console.format import short_id
from console.poller import one_line
from console.replay import control as replay
from console.screens.detail import JobDetailScreen, NodeDetailScreen
from console.screens.prompt import PromptScreen
from core.errors import LcnError
from core.reads import snapshot as snap

if TYPE_CHECKING:
    from console.app import LcnConsole


def open_selected(app: LcnConsole) -> None:
    if replay.replaying(app):  # a recording holds the windows on screen, not the records
        app.notify(replay.LIVE_ONLY.format(what="export and detail screens"), timeout=5)
        return
    pane = app.state.pane
    problem = selection.selection_problem(app, pane)
    if problem:
        app.notify(problem, severity="warning", timeout=4)
        return
    key = selection.table_key(app, pane)
    if not key:
        return
    if pane == "jobs":
        open_job(app, key)
    elif pane in ("nodes", "earnings"):
        open_node(app, key)
    elif pane == "triage":
        kind, _, target = key.partition(":")
        if kind == "job":
            open_job(app, target)
        elif kind == "node":
            open_node(app, target)
        else:
            app.notify(f"{target}: nothing to open; see the detail column.", timeout=3)
    elif pane == "swarm" and app.snapshot and app.snapshot.agents:
        agent = next((a for a in app.snapshot.agents.page.rows if a.agent_id == key), None)
        if agent and agent.current_job:
            open_job(app, agent.current_job)
        elif agent:
            open_node(app, agent.node_id)


def open_job(app: LcnConsole, job_id: str) -> None:
    app.push_screen(JobDetailScreen(job_id))
    app.call_after_refresh(_after_open, app)


def open_node(app: LcnConsole, node_id: str) -> None:
    app.push_screen(NodeDetailScreen(node_id))
    app.call_after_refresh(_after_open, app)


def _after_open(app: LcnConsole) -> None:
    """The detail screen is up: its status line, and a poll that reads its record."""
    app.update_status()
    app.poll_now()


async def jump(app: LcnConsole) -> None:
    text = await app.push_screen_wait(
        PromptScreen("Go to a job or node", "a full id, or the end of one shown on screen")
    )
    if not text:
        return
    target = resolve_visible(app, text) or text
    try:
        store = await app.poller.store()
        found = await snap.poll(
            store,
            snap.ViewRequest(job_detail=target, node_detail=target, triage=False, series_buckets=1),
        )
    except (RedisError, OSError, LcnError) as exc:
        app.notify(f"Cannot look it up: {one_line(exc)}", severity="error")
        return
    if found.job_detail is not None:
        open_job(app, target)
    elif found.node_detail is not None:
        open_node(app, target)
    else:
        app.notify(f"No job or node {short_id(text, 20)} in pool {app.settings.pool}.",
                   severity="warning")  # fmt: skip


def resolve_visible(app: LcnConsole, text: str) -> str | None:
    """An id typed as its tail (as the tables show it: `…` or, in ASCII, `..`) matches a row
    on screen."""
    tail = text.strip().lstrip("….").strip()
    for pane in app.panes():
        for row in pane.table.ordered_rows:
            key = str(row.key.value)
            key = key.partition(":")[2] or key
            if key.endswith(tail):
                return key
    return None
