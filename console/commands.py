"""The console's one command registry. Key bindings, the footer, the `?` help screen and the
command palette are all built from COMMANDS, so a command exists everywhere or nowhere.

Most commands are the App's and work on every screen; a command with a `screen` other than
"dashboard" is that screen's own (its action is the screen's), bound by the screen from here
(`screen_bindings`) and shown in help under that screen's name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from textual.binding import Binding, BindingType

Scope = Literal["app", "jobs", "nodes", "table"]
# Where a command's key works: the App's everywhere (listed as the dashboard's), the others on
# their screen only (console/screens/detail.py: "detail" on a job's or node's, "job detail" on
# a job's).
ScreenName = Literal["dashboard", "detail", "job detail"]
SCREEN_TITLES: dict[ScreenName, str] = {
    "dashboard": "Dashboard (and every screen)",
    "detail": "Job or node detail",
    "job detail": "Job detail",
}


@dataclass(frozen=True)
class Command:
    action: str  # the App's action_<action>: operate(<name>) writes, view(<name>) changes the view
    keys: str  # comma-separated Textual key names
    title: str
    help: str
    scope: Scope = "app"
    # Both flags are enforced by console.actions.dispatch, the one runner of operate(<name>).
    writes: bool = False  # refused in read-only mode
    destructive: bool = False  # asks for confirmation, "No" focused
    footer: bool = True
    key_display: str | None = None
    screen: ScreenName = "dashboard"


def operate(name: str) -> str:
    """The action of a command that changes something: the App hands it to the dispatcher
    (console.actions.dispatch), which enforces `writes` and `destructive`."""
    return f"operate({name!r})"


def view(name: str) -> str:
    """The action of a command that changes what is on screen (console.actions.views)."""
    return f"view({name!r})"


COMMANDS: tuple[Command, ...] = (
    Command("pane('nodes')", "1", "Nodes", "Show the node map and node table.", footer=False),
    Command("pane('jobs')", "2", "Jobs", "Show the job queue.", footer=False),
    Command("pane('earnings')", "3", "Earnings", "Show earnings and revenue.", footer=False),
    Command("pane('swarm')", "4", "Swarm", "Show the agent swarm.", footer=False),
    Command("pane('triage')", "5", "Triage", "Show what needs a human.", footer=False),
    Command(view("maximise"), "z", "Max", "Maximise the current pane, or restore the dashboard."),
    Command("open", "enter", "Open", "Open the selected job or node.", "table", footer=False),
    Command(operate("reassign"), "r", "Reassign",
            "Move the selected job to a node you choose, or the best.", "jobs", writes=True),
    Command(operate("cancel"), "c", "Cancel", "Cancel the selected job.", "jobs", writes=True,
            destructive=True),
    Command(operate("retry"), "t", "Retry", "Run the selected failed or cancelled job again.",
            "jobs", writes=True),
    Command(operate("retry_all"), "T", "Retry all",
            "Retry every failed job the jobs filter matches (asks, with the count).", "jobs",
            writes=True, destructive=True, footer=False, key_display="T"),
    Command(operate("cancel_all"), "C", "Cancel all",
            "Cancel every pending job the jobs filter matches, of one creator or all (asks, "
            "with the count and the holds).", "jobs", writes=True, destructive=True,
            footer=False, key_display="C"),
    Command(operate("drain"), "d", "Drain", "Stop placing jobs on the selected node.", "nodes",
            writes=True, destructive=True),
    Command(operate("undrain"), "u", "Undrain", "Let the selected draining node take jobs again.",
            "nodes", writes=True, destructive=True),
    Command(operate("offline"), "o", "Offline",
            "Take the selected node offline until you bring it back; its jobs are requeued.",
            "nodes", writes=True, destructive=True),
    Command(operate("online"), "O", "Online", "Bring the selected offline node back online.",
            "nodes", writes=True, footer=False, key_display="O"),
    Command(operate("pay_out"), "dollar_sign", "Pay out",
            "Pay the selected node its available earnings through Stripe.", "nodes",
            writes=True, destructive=True, footer=False, key_display="$"),
    Command(operate("retry_payout"), "R", "Retry payout",
            "Send a pending or failed payout again (by id).", writes=True, destructive=True,
            footer=False, key_display="R"),
    Command(operate("refund"), "F", "Refund", "Refund a purchase through Stripe (by id).",
            writes=True, destructive=True, footer=False, key_display="F"),
    Command(view("filter"), "slash", "Filter",
            "Filter the current table (state, type, node) or search it for text.",
            key_display="/"),
    Command(view("clear_filter"), "escape", "Clear", "Clear the current table's filter.",
            footer=False),
    Command(view("sort"), "s", "Sort",
            "Cycle the current table's order: newest, oldest, or by a column over all rows."),
    Command(view("next_page"), "right_square_bracket", "Next page", "Show the next page of rows.",
            footer=False, key_display="]"),
    Command(view("prev_page"), "left_square_bracket", "Prev page",
            "Show the previous page of rows.", footer=False, key_display="["),
    Command(view("charts"), "m", "Charts",
            "Charts of throughput, failures, queue depth and earnings, with scales.",
            footer=False),
    Command(view("pause"), "p", "Pause", "Pause or resume refreshing."),
    Command(view("faster"), "plus,equals_sign", "Faster", "Refresh more often.", footer=False,
            key_display="+"),
    Command(view("slower"), "minus", "Slower", "Refresh less often.", footer=False,
            key_display="-"),
    Command(view("export"), "e", "Export",
            "Write the current table's rows (all its filter matches, up to 10,000) to a CSV or "
            "JSON file.", "table", footer=False),
    Command(view("jump"), "g", "Go to", "Jump to a job or node by id."),
    Command(view("command"), "colon", "Command",
            "Command line: `pool NAME` switches pool (lists the pools that exist); `bell` "
            "turns the bell for new triage items off or on; `replay [FROM [TO]]` plays the "
            "recording, `live` ends it.",
            footer=False, key_display=":"),
    Command(view("replay_play"), "space", "Play/pause",
            "Replay: play or pause the recording (also p; +/- change its speed, g jumps to a "
            "time).", footer=False, key_display="space"),
    Command(view("replay_back"), "left,comma", "Step back",
            "Replay: show the recording before this one.", footer=False, key_display="←/,"),
    Command(view("replay_forward"), "right,full_stop", "Step forward",
            "Replay: show the recording after this one.", footer=False, key_display="→/."),
    Command(view("replay_triage"), "n", "Next triage",
            "Replay: jump to the next moment with a triage item not shown now.", footer=False),
    Command("help", "question_mark", "Help", "Show every command and its key.",
            key_display="?"),
    Command("quit", "q", "Quit", "Quit the console."),
    Command("close", "escape", "Back", "Close the detail and go back.", screen="detail",
            key_display="esc"),
    Command("toggle_follow", "f", "Follow",
            "Follow a running job's log as its lines arrive, or stop and stay put.",
            screen="job detail"),
    Command("toggle_input", "i", "Input", "Unfold a long input, or fold it again.",
            screen="job detail"),
)  # fmt: skip


def of_screen(screen: ScreenName) -> list[Command]:
    return [c for c in COMMANDS if c.screen == screen]


def bindings(screen: ScreenName = "dashboard") -> list[BindingType]:
    """Key bindings for the App (or for `screen`), straight from the registry."""
    return [
        Binding(c.keys, c.action, c.title, show=c.footer, key_display=c.key_display)
        for c in of_screen(screen)
    ]


def screens_of(screen: object) -> tuple[ScreenName, ...]:
    """The screens whose commands work on this one (a job's detail: "detail" and "job
    detail"), from its COMMAND_SCREENS."""
    return tuple(getattr(screen, "COMMAND_SCREENS", ()))


def for_palette(app: object, screen: object) -> list[tuple[Command, Any]]:
    """The palette's commands on `screen` with what runs each: the App's own, then the
    screen's, so the palette offers what the keys do there."""
    found: list[tuple[Command, Any]] = [(c, app) for c in of_screen("dashboard")]
    for name in screens_of(screen):
        found += [(c, screen) for c in of_screen(name)]
    return [(c, target) for c, target in found if c.action != "quit"]


def by_action(action: str, parameters: tuple[object, ...] = ()) -> Command | None:
    """The command an action runs. Commands that share an action (`pane`, `operate`) differ by
    their argument; without one, the first of them."""
    name = action.split("(")[0]
    for command in COMMANDS:
        command_name, _, argument = command.action.partition("(")
        if command_name == name and (not parameters or argument == f"{parameters[0]!r})"):
            return command
    return None
