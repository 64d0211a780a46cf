"""What a replay's keys and commands do: `:replay [FROM [TO]]` swaps the poller's source for
the recording (`:live` swaps it back), space plays and pauses, ←/→ or ,/. step, +/- change the
speed, g jumps to a time, n finds the next moment with a new triage item. While replaying, the
console is read-only: every writing command is refused by the one dispatcher with the reason
set here. Keys that mean something else live (+, -, g, p) mean this while replaying."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from console.actions import pools
from console.format import clock
from console.glyphs import pick
from console.poller import LiveSource
from console.replay.source import ReplayFailed, ReplaySource
from console.replay.times import EXAMPLES, parse_time, time_range
from console.screens.prompt import PromptScreen
from console.widgets.status_line import Part

if TYPE_CHECKING:
    from console.app import LcnConsole

PLAYING = ("▶", ">")
PAUSED = ("‖", "||")  # not ⏸: few terminal fonts have it
NOT_REPLAYING = "Not replaying: `:replay` plays the recording (`:replay -1h` from an hour ago)."
LIVE_ONLY = "A replay shows the rows as they were recorded: {what} work on the live pool (`:live`)."
# View commands that read the live pool beyond the recorded windows: refused while replaying.
LIVE_ONLY_VIEWS = {
    "sort": "sorting and filtering",
    "filter": "sorting and filtering",
    "export": "export and detail screens",
}


def replaying(app: LcnConsole) -> ReplaySource | None:
    source = app.poller.source
    return source if isinstance(source, ReplaySource) else None


def reason(source: ReplaySource) -> str:
    return (
        f"this is a replay of pool {source.pool} as it was recorded; the past cannot be "
        "changed (`:live` goes back to the live pool)."
    )


def attach(app: LcnConsole, source: ReplaySource) -> None:
    """Show `source` from the next poll on, read-only, starting from an empty screen (nothing
    live stays under a recorded time). `lcn console --replay` calls it before the app runs."""
    previous = replaying(app)
    if previous is None:
        source.live_reason = app.read_only_reason
    else:
        source.live_reason = previous.live_reason
    app.poller.source = source
    app.read_only_reason = reason(source)
    app.state.paused = False
    if app.is_running:
        pools.start_afresh(app)
        app.poll_now()


async def start(app: LcnConsole, arguments: str) -> bool:
    """`:replay [FROM [TO]]`: replay this pool's recordings in that range (all of them)."""
    words = arguments.split()
    try:
        if len(words) > 2:
            raise ValueError("`:replay` takes at most two times, FROM and TO.")
        start, end = (*words, None, None)[:2]
        since, until = time_range(start, end, int(time.time() * 1000))
    except ValueError as exc:
        app.notify(str(exc), title="Not replaying", severity="warning", timeout=6)
        return False
    source = ReplaySource(app.settings, since=since, until=until)
    try:
        timeline = await source.load()
    except ReplayFailed as exc:
        await source.close()
        app.notify(str(exc), title="Not replaying", severity="warning", timeout=8)
        return False
    previous = replaying(app)
    attach(app, source)
    if previous is not None:
        await previous.close()
    more = " (the first of more: a narrower range shows the rest)" if source.truncated else ""
    app.notify(
        f"Replaying pool {source.pool}: {timeline.total:,} recordings{more} from "
        f"{clock(timeline.times[0])} to {clock(timeline.times[-1])} UTC. Space plays, ←/→ step, "
        "+/- speed, g jumps to a time, n finds the next triage item, `:live` goes back.",
        title="Replay",
        timeout=8,
    )
    return True


async def stop(app: LcnConsole) -> None:
    """`:live`: back to the live pool, as writable as it was before the replay."""
    source = replaying(app)
    if source is None:
        app.notify("The console is already live.", timeout=3)
        return
    app.poller.source = LiveSource(app.poller)
    app.read_only_reason = source.live_reason
    await source.close()
    pools.start_afresh(app)
    app.notify(f"Live again on pool {app.settings.pool}.", timeout=3)
    app.poll_now()


def _moved(app: LcnConsole) -> None:
    app.update_status()
    app.poll_now()


def play_pause(app: LcnConsole) -> None:
    source = replaying(app)
    if source is None or source.timeline is None:
        app.notify(NOT_REPLAYING, timeout=4)
        return
    if source.timeline.toggle():
        source.played()
    _moved(app)


def step(app: LcnConsole, by: int) -> None:
    source = replaying(app)
    if source is None or source.timeline is None:
        app.notify(NOT_REPLAYING, timeout=4)
        return
    if not source.timeline.step(by):
        app.notify("That is the first recording." if by < 0 else "That is the last recording.",
                   timeout=2)  # fmt: skip
    _moved(app)


def speed(app: LcnConsole, change: Callable[[], int]) -> None:
    change()
    app.update_status()


async def ask_time(app: LcnConsole) -> None:
    """g while replaying: show the last recording at or before a time."""
    source = replaying(app)
    if source is None or source.timeline is None:
        return
    timeline = source.timeline
    hint = f"{EXAMPLES}; recorded {clock(timeline.times[0])} to {clock(timeline.times[-1])} UTC"
    text = await app.push_screen_wait(PromptScreen("Jump to a time", hint, placeholder="-30m"))
    if not text:
        return
    try:
        wanted = parse_time(text, int(time.time() * 1000))
    except ValueError as exc:
        app.notify(str(exc), title="Not moved", severity="warning", timeout=6)
        return
    timeline.playing = False
    timeline.seek(wanted)
    if not timeline.times[0] <= wanted:
        app.notify(f"Nothing was recorded before {clock(timeline.at)} UTC; showing that.",
                   timeout=5)  # fmt: skip
    _moved(app)


async def next_triage(app: LcnConsole) -> None:
    """n: the next recording with a triage item the shown one does not have."""
    source = replaying(app)
    if source is None or source.timeline is None:
        app.notify(NOT_REPLAYING, timeout=4)
        return
    try:
        found = await source.next_triage()
    except ReplayFailed as exc:
        app.notify(str(exc), severity="warning", timeout=6)
        return
    timeline = source.timeline
    if found is None:
        app.notify(f"No new triage item after {clock(timeline.at)} UTC.", timeout=4)
        return
    timeline.playing = False
    timeline.go(found)
    app.notify(f"New triage item at {clock(timeline.at)} UTC.", timeout=3)
    _moved(app)


def timeline_parts(app: LcnConsole, plain: bool) -> list[Part] | None:
    """The status line's timeline while replaying: recorded time, position/total, speed and
    playing or paused; None when live."""
    source = replaying(app)
    if source is None:
        return None
    timeline = source.timeline
    if timeline is None:
        return [Part("REPLAY reading the archive… ", "paused", 0)]
    state = (
        Part(f"{pick(PLAYING, plain)} playing ", "ok", 1)
        if timeline.playing
        else Part(f"{pick(PAUSED, plain)} paused ", "paused", 1)
    )
    return [
        Part("REPLAY ", "readonly", 0),
        Part(f"{clock(timeline.at)} ", "pane", 0),
        Part(f"{timeline.index + 1:,}/{timeline.total:,} ", "", 2),
        Part(f"{timeline.speed}x ", "dim", 3),
        state,
    ]


# The registry's view(<name>) commands for a replay (console.actions.views runs them).
COMMANDS: dict[str, Callable[[LcnConsole], None]] = {
    "replay_play": play_pause,
    "replay_back": lambda app: step(app, -1),
    "replay_forward": lambda app: step(app, 1),
}
DIALOGS: dict[str, Callable[[LcnConsole], Coroutine[Any, Any, None]]] = {
    "replay_triage": next_triage,
}


def takes(app: LcnConsole, name: str) -> bool:
    """While replaying, +, -, p and g are the replay's speed, play/pause and jump-to-time."""
    source = replaying(app)
    if source is None or source.timeline is None:
        return False
    timeline = source.timeline
    if name == "faster":
        speed(app, timeline.faster)
    elif name == "slower":
        speed(app, timeline.slower)
    elif name == "pause":
        play_pause(app)
    elif name == "jump":
        app.run_worker(ask_time(app), name="replay_jump", group="dialog")
    elif name in LIVE_ONLY_VIEWS:
        app.notify(LIVE_ONLY.format(what=LIVE_ONLY_VIEWS[name]), timeout=5)
    else:
        return False
    return True
