"""Charts with labelled axes and scale (`m`, and revenue in the earnings pane), drawn from what
each poll already reads; and a console poll, charts and a job's detail open, is still one
pipelined round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio.client import Pipeline, Redis

from console.charts import DepthHistory, queue_depth
from console.format import usd
from console.screens.charts import ChartsScreen
from console.shots import screen_text, settle
from console.widgets.chart import ChartData, render_chart, time_axis
from core.devkit import seed
from core.reads import snapshot as snap
from core.store import Store
from tests.console.conftest import RecordingConsole, press

Make = Callable[..., RecordingConsole]


def test_a_chart_names_its_scale_and_its_time() -> None:
    data = ChartData("Earnings", (0, 250_000, None, 1_350_000), 10_000, label=usd)
    lines = render_chart(data, 40, 8).plain.splitlines()
    assert lines[0] == "Earnings · now $1.35"
    assert lines[1].startswith("$1.35 ┤") and lines[5].startswith("$0.00 ┤")  # max, min
    assert lines[6].lstrip().startswith("└─")
    assert lines[7].rstrip().endswith("now") and "-40s" in lines[7]  # 4 buckets of 10 s
    plot = [line[7:] for line in lines[1:6]]
    assert [row[-1] for row in plot] == ["█"] * 5  # the largest value fills its column
    assert all(row[-2] == " " for row in plot)  # a bucket with no value is a gap, not a zero
    assert plot[-1][-3] != " "  # a small value is never drawn as nothing


def test_a_chart_without_data_says_so_and_ascii_has_no_blocks() -> None:
    empty = render_chart(ChartData("Failures", (), 10_000), 30, 6).plain
    assert "no data yet" in empty and "now" in empty
    ascii = render_chart(ChartData("Throughput", (3, 9, 1), 10_000), 30, 6, ascii=True).plain
    assert not set(ascii) & set("▁▂▃▄▅▆▇█") and "#" in ascii


def test_the_time_axis_spans_the_buckets_shown() -> None:
    axis = time_axis(60, 60, 10_000)
    assert axis.startswith("-10m") and "-5m" in axis and axis.endswith("now")
    assert time_axis(0, 20, 10_000).strip() == "now"


def test_queue_depth_comes_from_the_polls_the_console_drew() -> None:
    history = DepthHistory()
    bucket = 10_000
    base = 1_000 * bucket
    for i, pending in enumerate((4, 7, 9)):
        shot = snapshot_at(base + i * bucket, pending)
        history.add(shot)
        history.add(shot)  # the same snapshot again adds nothing
    values = queue_depth(snapshot_at(base + 2 * bucket, 9), history).values
    assert values[-3:] == (4, 7, 9) and values[0] is None and len(history.samples) == 3


def snapshot_at(now: int, pending: int) -> snap.Snapshot:
    counts = snap.Counts(nodes=0, jobs=pending, nodes_by_status={}, agents=0, agents_live=0,
                         jobs_by_status={"pending": pending}, leases=0)  # fmt: skip
    money = snap.Money(gross=0, node_earnings=0, platform_revenue=0, platform_balance=0,
                       escrow_balance=0)  # fmt: skip
    series = snap.Series(bucket_ms=10_000, last_bucket=now // 10_000, completed=[0] * 60,
                         failed=[0] * 60, revenue=[0] * 60)  # fmt: skip
    return snap.Snapshot(now_ms=now, counts=counts, money=money, series=series, commands=0)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_m_shows_four_labelled_charts_at_any_size(
    make_console: Make, store: Store, size: tuple[int, int]
) -> None:
    await seed.seed(store)
    app = make_console()
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "m")
        assert isinstance(app.screen, ChartsScreen)
        text = screen_text(app)
        for title in ("Throughput", "Failures", "Queue depth", "Earnings"):
            assert title in text
        assert text.count("now") >= 8  # each chart: its last value, and "now" on its time axis
        assert text.count("└─") == 4 and text.count(" 0 ┤") >= 2 and "$0.00 ┤" in text
        assert "-5m" in text  # the middle of the time axis
        # The pane's job commands do not reach through the charts: `c` does nothing here.
        await press(pilot, app, "c")
        assert isinstance(app.screen, ChartsScreen)
        await press(pilot, app, "escape")
        assert not isinstance(app.screen, ChartsScreen)


async def test_a_console_poll_is_one_pipelined_round_trip(
    make_console: Make, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the charts and a job's detail open, and every dashboard pane shown underneath."""
    await seed.seed(store)
    executes: list[int] = []
    direct: list[str] = []
    original_execute = Pipeline.execute
    original_command = Redis.execute_command

    async def counting_execute(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        executes.append(len(self.command_stack))
        return await original_execute(self, *args, **kwargs)

    async def counting_command(self: Redis, *args: Any, **kwargs: Any) -> Any:
        direct.append(str(args[0]))
        return await original_command(self, *args, **kwargs)

    app = make_console()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        await press(pilot, app, "2", "down", "enter")
        await press(pilot, app, "m")
        assert app.state.job_detail is not None
        monkeypatch.setattr(Pipeline, "execute", counting_execute)
        monkeypatch.setattr(Redis, "execute_command", counting_command)
        for _ in range(3):
            await app.poll_once()
        monkeypatch.undo()
        assert app.snapshot is not None and app.snapshot.job_detail is not None
        assert executes == [app.snapshot.commands] * 3 and direct == []
