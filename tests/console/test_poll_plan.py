"""The heavy reads of a large pool are spread over polls (console.poll_plan): no poll carries
both a map chunk and a sorted window's slice, or triage and the swarm with either; each
staggered read still arrives within a few polls, and the console shows the same data. Counts
of what each poll carries, never times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from console import ordered_sweep, poll_plan
from console.poll_plan import Carry, PollPlan
from console.poller import LiveSource, Poller
from console.shots import screen_text, settle
from core.devkit.seed import SeedSummary
from core.reads import snapshot as snap
from core.reads.batch import read
from core.reads.nodes import NodeWindow, nodes_read
from core.store import Store
from tests.console.conftest import RecordingConsole

Make = Callable[..., RecordingConsole]


def plan_polls(plan: PollPlan, polls: int, **kwargs: Any) -> list[Carry]:
    return [plan.next(staggered=True, **kwargs) for _ in range(polls)]


def within(carried: list[bool]) -> int:
    """The longest run of polls without the read, plus one: it arrives within this many."""
    longest = run = 0
    for yes in carried:
        run = 0 if yes else run + 1
        longest = max(longest, run)
    return longest + 1


def gaps(carries: list[Carry], carried: Callable[[Carry], bool]) -> int:
    return within([carried(c) for c in carries])


def test_each_poll_carries_one_heavy_read_and_each_read_comes_round() -> None:
    carries = plan_polls(PollPlan(), 40, slices=["earnings"], map_shown=True)
    assert all(c.heavy == 1 for c in carries)
    assert not any(c.map and c.slices for c in carries)
    assert not any((c.triage or c.agents) and (c.map or c.slices) for c in carries)
    assert gaps(carries, lambda c: c.triage) == 2
    assert gaps(carries, lambda c: c.agents) == 2
    assert gaps(carries, lambda c: c.map) == 4  # sharing the sweep polls with the slices
    assert gaps(carries, lambda c: bool(c.slices)) == 4
    # No sorted window being read again: the map has every sweep poll.
    plain = plan_polls(PollPlan(), 40, map_shown=True)
    assert gaps(plain, lambda c: c.map) == 2 and sum(c.map for c in plain) == 20


def test_sorted_windows_take_turns_and_have_every_sweep_poll_without_the_map() -> None:
    carries = plan_polls(PollPlan(), 24, slices=["nodes", "earnings"], map_shown=False)
    sliced = [c.slices for c in carries if c.slices]
    assert all(len(s) == 1 for s in sliced) and len(sliced) == 12
    assert [next(iter(s)) for s in sliced[:4]] == ["nodes", "earnings", "nodes", "earnings"]
    assert not any(c.map and c.slices for c in carries)


def test_what_the_operator_asks_for_is_read_at_once() -> None:
    plan = PollPlan()
    plan.next(staggered=True)  # a scan poll: the next is a sweep poll
    carry = plan.next(staggered=True, asked={"swarm"})
    assert carry.agents and carry.map and not carry.triage
    carry = plan.next(staggered=True, asked={"triage"}, slices=["jobs"])
    assert carry.triage and carry.agents  # a scan poll anyway


@pytest.mark.parametrize("case", ["small pool", "baseline"])
def test_a_small_pool_or_the_baseline_reads_everything_every_poll(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case == "baseline":  # `lcn bench console` turns the plan off: a large pool too
        monkeypatch.setattr(PollPlan, "enabled", False)
    plan = PollPlan()
    carries = [
        plan.next(staggered=case == "baseline", slices=["jobs", "earnings"]) for _ in range(6)
    ]
    assert all(c.triage and c.agents and c.map for c in carries)
    assert all(c.slices == {"jobs", "earnings"} for c in carries)


class CountingSource(LiveSource):
    """The live pool, keeping each poll's request so the test can count what it carried."""

    def __init__(self, poller: Poller) -> None:
        super().__init__(poller)
        self.requests: list[snap.ViewRequest] = []

    async def read(self, request: snap.ViewRequest) -> snap.Snapshot:
        self.requests.append(request)
        return await super().read(request)


def stale(app: RecordingConsole) -> None:
    """Every sorted window due to be read again, so that its slices compete with the map."""
    for view in app.state.tables.values():
        if view.ordered_at is not None:
            view.ordered_at -= 60


async def test_a_large_pool_spreads_its_heavy_reads_and_shows_the_same_data(
    make_console: Make, seeded: SeedSummary, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """36 nodes made "large": over 24 polls no request carries a map chunk with a slice or a
    scan, triage and the swarm arrive every second poll, and the console still shows triage,
    the swarm, the whole fleet on the map and the sorted window a whole read gives."""
    monkeypatch.setattr(poll_plan, "STAGGER_FROM_NODES", 10)
    monkeypatch.setattr(ordered_sweep, "SLICE", 10)
    app = make_console(map_chunk=8)
    source = app.poller.source = CountingSource(app.poller)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        assert app.state.tables["earnings"].sort.column == "earnings"
        triage_items = swarm_rows = None
        polled: list[tuple[snap.ViewRequest, bool]] = []
        for _ in range(24):
            stale(app)
            await app.poll_once()
            await pilot.pause()
            polled.append((source.requests[-1], "earnings" in app.state.sliced))
            shown = app.snapshot
            assert shown is not None and shown.triage is not None and shown.agents is not None
            triage_items = triage_items or len(shown.triage.items)
            assert len(shown.triage.items) == triage_items  # carried over when not read
            swarm_rows = swarm_rows or len(app.pane("swarm").table.rows)
            assert len(app.pane("swarm").table.rows) == swarm_rows > 0
            assert f"triage {triage_items}" in screen_text(app)
        assert not any(r.map is not None and sliced for r, sliced in polled)
        assert not any(r.triage and (r.map is not None or sliced) for r, sliced in polled)
        assert all((r.agents is None) == (not r.triage) for r, _ in polled)
        assert within([r.triage for r, _ in polled]) == 2
        assert sum(r.triage for r, _ in polled) == 12  # every second poll, not every poll
        assert within([r.map is not None for r, _ in polled]) <= 4
        assert within([sliced for _, sliced in polled]) <= 4
        assert sum(sliced for _, sliced in polled) >= 5
        # The same data: the whole fleet on the map, and the sorted window as one read gives.
        sweep = app.state.map_sweep
        assert sweep.complete and sum(sum(c) for c in sweep.cells.values()) == len(seeded.nodes)
        view = app.state.tables["earnings"]
        whole = await read(
            store, nodes_read(store, "earnings", NodeWindow(limit=view.limit, sort="earnings"))
        )
        assert view.page is not None
        assert [r.node_id for r in view.page.rows] == [r.node_id for r in whole.rows]


async def test_a_pool_of_few_nodes_reads_everything_every_poll(
    make_console: Make, seeded: SeedSummary
) -> None:
    app = make_console()
    source = app.poller.source = CountingSource(app.poller)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot, app)
        first = len(source.requests)
        for _ in range(4):
            await app.poll_once()
            await pilot.pause()
        polled = source.requests[first:]
        assert all(r.triage and r.agents is not None and r.map is not None for r in polled)
