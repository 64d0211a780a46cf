"""Replay: the console plays a pool's recordings in the same panes, read-only, with a timeline
in the status line; it steps, jumps to a time and to the next triage item, and refuses a bad
range in one sentence. The recordings come from the real recorder over a real pool."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input

from console.format import clock
from console.replay import control
from console.replay.source import ReplaySource
from console.replay.timeline import Timeline
from console.replay.times import parse_time, time_range
from console.screens.prompt import PromptScreen
from console.shots import settle
from console.widgets.status_line import StatusLine
from core import jobs
from core.config import Settings
from core.devkit import seed
from core.devkit.seed import SeedSummary
from core.reads import recording
from core.store import Store
from core.swarm.recorder import RecorderDuty
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]
T1 = seed.FIXED_NOW_MS
T2 = T1 + 5_000
LATER = T1 + 3_600_000  # an hour on: running jobs are past their timeouts


async def record(store: Store, settings: Settings, *moments: int) -> None:
    duty = RecorderDuty(settings)
    try:
        for at in moments:
            await duty.run(store, now_ms=at)
    finally:
        await duty.close()


async def newest_pending(store: Store) -> str:
    found = await store.redis.zrevrange(store.keys.jobs_with_status("pending"), 0, 0)
    return str(found[0].decode())


def status_text(app: RecordingConsole) -> str:
    return "".join(part.text for part in app.query_one(StatusLine).parts)


def job_state(app: RecordingConsole, job_id: str) -> str:
    return " ".join(str(cell) for cell in app.pane("jobs").table.get_row(job_id))


@pytest.fixture
async def two_moments(seeded: SeedSummary, store: Store, settings: Settings) -> str:
    """T1 recorded, then the newest pending job cancelled, then T2 recorded."""
    job_id = await newest_pending(store)
    await record(store, settings, T1)
    await jobs.cancel(store, job_id)
    await record(store, settings, T2)
    return job_id


def replaying(make_console: Make, settings: Settings, **kwargs: int) -> RecordingConsole:
    app = make_console()
    control.attach(app, ReplaySource(settings, **kwargs))
    return app


async def test_replay_shows_each_recorded_moment_and_steps(
    make_console: Make, settings: Settings, two_moments: str
) -> None:
    app = replaying(make_console, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        assert "pending" in job_state(app, two_moments)
        status = status_text(app)
        assert "REPLAY" in status and "1/2" in status and clock(T1) in status
        assert "live" not in status and "READ-ONLY" not in status  # the timeline says it
        await press(pilot, app, "full_stop")
        assert "cancelled" in job_state(app, two_moments)
        assert "2/2" in status_text(app) and clock(T2) in status_text(app)
        await press(pilot, app, "left")  # the table lets ← through to the replay
        assert "pending" in job_state(app, two_moments) and "1/2" in status_text(app)
        await press(pilot, app, "right")
        assert "cancelled" in job_state(app, two_moments)
        await press(pilot, app, "comma")
        assert "1/2" in status_text(app)
        await press(pilot, app, "comma")
        assert app.said("That is the first recording.")


async def test_playing_moves_through_the_recording_and_stops_at_the_end(
    make_console: Make, settings: Settings, two_moments: str
) -> None:
    clock_s = [100.0]
    app = make_console()
    source = ReplaySource(settings, monotonic=lambda: clock_s[0])
    control.attach(app, source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "space")
        assert "▶ playing" in status_text(app) and "8x" in status_text(app)
        await press(pilot, app, "plus")
        assert "16x" in status_text(app)
        clock_s[0] += 1.0  # 16 recorded seconds: past T2
        await settle(pilot, app)
        assert source.timeline is not None and source.timeline.at == T2
        assert not source.timeline.playing  # the end
        assert "2/2" in status_text(app) and "‖ paused" in status_text(app)


async def test_a_replay_refuses_every_writing_command(
    make_console: Make, settings: Settings, two_moments: str, store: Store
) -> None:
    app = replaying(make_console, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2")
        table = app.pane("jobs").table
        table.move_cursor(row=table.get_row_index(two_moments))  # pending at T1
        await press(pilot, app, "c")
        assert app.said("Cancel is disabled: this is a replay of pool")
        assert app.said("the past cannot be changed")
        await press(pilot, app, "R")  # retry payout: refused before it asks for an id
        assert app.said("Retry payout is disabled: this is a replay")
        assert not isinstance(app.screen, PromptScreen)
        # What reads the live pool beyond the recorded windows says so instead.
        for key, what in (("s", "sorting"), ("slash", "filtering"), ("e", "export"),
                          ("enter", "detail screens")):  # fmt: skip
            app.notes.clear()
            await press(pilot, app, key)
            assert app.said(f"{what}") and app.said("work on the live pool (`:live`)")
            assert not isinstance(app.screen, PromptScreen)
        assert app.state.tables["jobs"].sort_index == 0
    record_now = await store.redis.hget(store.keys.job(two_moments), "status")
    assert record_now == b"cancelled"  # as the live pool has it, untouched by the replay


async def test_jump_to_a_time(make_console: Make, settings: Settings, two_moments: str) -> None:
    app = replaying(make_console, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_into_prompt(pilot, app, "g", clock(T2).replace(" ", "T"))
        assert "2/2" in status_text(app)
        await type_into_prompt(pilot, app, "g", "yesterday")
        assert app.said("'yesterday' is not a time")
        assert "2/2" in status_text(app)
        await type_into_prompt(pilot, app, "g", "2020-01-01")
        assert "1/2" in status_text(app) and app.said("Nothing was recorded before")


async def test_n_finds_the_next_moment_with_a_new_triage_item(
    make_console: Make, settings: Settings, seeded: SeedSummary, store: Store
) -> None:
    moments = [T1, T1 + 1, T1 + 2, LATER]  # the same moment thrice, then an hour on
    await record(store, settings, *moments)
    triage = [await recorded(store, settings, at) for at in moments]
    assert triage[0] == triage[1] == triage[2] and triage[3] - triage[0]
    app = replaying(make_console, settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "n")
        await settle(pilot, app)
        assert "4/4" in status_text(app) and app.said(f"New triage item at {clock(LATER)}")
        await press(pilot, app, "n")
        await settle(pilot, app)
        assert app.said("No new triage item after")
        await press(pilot, app, "comma")  # from the second: the third has nothing new
        await press(pilot, app, "comma", "comma")
        await press(pilot, app, "n")
        await settle(pilot, app)
        assert "4/4" in status_text(app)


async def recorded(store: Store, settings: Settings, at: int) -> set[tuple[str, str]]:
    source = ReplaySource(settings)
    try:
        return recording.triage_keys(await source.snapshot_at(at))
    finally:
        await source.close()


async def test_replay_and_live_from_the_command_line(
    make_console: Make, settings: Settings, two_moments: str
) -> None:
    app = make_console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert "live" in status_text(app)
        await type_into_prompt(pilot, app, "colon", "replay 2020-01-01 2020-01-02")
        assert app.said(f"No recording of pool {settings.pool} between 2020-01-01 00:00:00")
        assert "live" in status_text(app)
        await type_into_prompt(pilot, app, "colon", f"replay {clock(T2).replace(' ', 'T')}")
        await settle(pilot, app)
        assert "REPLAY" in status_text(app) and "1/1" in status_text(app)
        assert app.read_only_reason and "replay" in app.read_only_reason
        await type_into_prompt(pilot, app, "colon", "live")
        await settle(pilot, app)
        assert "live" in status_text(app) and app.read_only_reason is None
        await press(pilot, app, "space")
        assert app.said("Not replaying: `:replay` plays the recording")


async def test_a_read_only_console_stays_read_only_after_a_replay(
    make_console: Make, settings: Settings, two_moments: str
) -> None:
    app = make_console(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await type_into_prompt(pilot, app, "colon", "replay")
        assert app.read_only_reason and "replay" in app.read_only_reason
        await type_into_prompt(pilot, app, "colon", "live")
        assert app.read_only_reason == "the console was started with --read-only."
        assert "READ-ONLY" in status_text(app)


async def type_into_prompt(pilot: object, app: RecordingConsole, key: str, text: str) -> None:
    await press(pilot, app, key)  # type: ignore[arg-type]
    assert isinstance(app.screen, PromptScreen)
    app.screen.query_one(Input).value = text
    await press(pilot, app, "enter")  # type: ignore[arg-type]


def test_cli_refuses_a_bad_range_in_one_sentence(
    lcn: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCN_DATA_DIR", str(tmp_path))  # an archive of its own, empty
    bad = lcn("console", "--replay", "--from", "yesterday", ok=False)
    assert bad.exit_code == 2 and "'yesterday' is not a time" in bad.output  # type: ignore[attr-defined]
    alone = lcn("console", "--from", "-1h", ok=False)
    assert "--from and --to go with --replay." in alone.output  # type: ignore[attr-defined]
    backwards = lcn("console", "--replay", "--from", "-1h", "--to", "-2h", ok=False)
    assert "must be after --from" in backwards.output  # type: ignore[attr-defined]
    empty = lcn("console", "--replay", "--from", "-1h", ok=False)
    assert empty.exit_code == 1  # type: ignore[attr-defined]
    assert "No recording of pool" in empty.output  # type: ignore[attr-defined]


def test_times() -> None:
    now = 1_800_000_000_000
    assert parse_time("-30m", now) == now - 1_800_000
    assert parse_time("-2h", now) == now - 7_200_000
    assert parse_time("now", now) == now
    assert parse_time("2026-01-15T12:00", now) == 1_768_478_400_000  # UTC unless it says
    assert parse_time("2026-01-15T13:00+01:00", now) == 1_768_478_400_000
    for bad, words in (("", "No time given"), ("-3y", "relative one"), ("soon", "not a time")):
        with pytest.raises(ValueError, match=words):
            parse_time(bad, now)
    assert time_range(None, None, now) == (0, None)


def test_timeline_plays_at_its_speed_and_steps() -> None:
    timeline = Timeline([0, 5_000, 10_000, 15_000])
    assert not timeline.advance(10.0)  # paused: nothing moves
    timeline.toggle()
    assert timeline.speed == 8
    assert not timeline.advance(0.5)  # 4 recorded seconds: still the first
    assert timeline.advance(0.25) and timeline.at == 5_000  # 6 s in all
    timeline.slower()
    timeline.slower()
    timeline.slower()
    assert timeline.speed == 1 and timeline.slower() == 1
    assert timeline.advance(4.0) and timeline.at == 10_000  # the 1 s carried counts
    assert timeline.advance(100.0) and timeline.at_end and not timeline.playing
    assert timeline.toggle() and timeline.index == 0  # playing at the end starts again
    assert timeline.step(2) and not timeline.playing and timeline.at == 10_000
    assert not timeline.step(5) or timeline.at_end
    assert timeline.seek(7_000) and timeline.at == 5_000
    assert timeline.seek(-1) and timeline.index == 0
