"""Which of the heavy reads a poll carries, so that no poll carries several.

At 100k nodes a poll's server time is nearly all four bounded reads: the map's chunk (500
node hashes), a sorted window's slice (500 index entries, console.ordered_sweep), triage
(a few hundred offline nodes and agents) and the swarm's summary (500 agents). Together they
made the slow polls, the ones that set the console's p99. In a large pool the console spreads
them over two kinds of poll, alternating:

- a *scan* poll reads triage and the swarm (together about as costly as one chunk),
- a *sweep* poll reads the map's next chunk or one sorted window's slice; when both are due
  they take turns, and several sorted windows take turns among themselves.

So triage and the swarm are at most two polls old (2 s at the default interval), the map moves
on every second poll (every fourth while a sorted window is read again), and every poll carries
counts, totals, series, the tables' windows and open details as before. A poll skipping a read
keeps showing what the last one read (console.drawing carries it over). What the operator has
just asked to see (a pane not drawn yet, or asked for anew) is read at once, whatever the turn.

A pool of at most STAGGER_FROM_NODES nodes reads everything at every poll: there a whole poll
costs less than one of these reads at 100k nodes, and its map is live."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

STAGGER_FROM_NODES = 500  # larger pools: the map is swept and the scans hit their budgets


@dataclass(frozen=True)
class Carry:
    """What one poll reads of the staggered reads."""

    triage: bool = True
    agents: bool = True
    map: bool = True
    slices: frozenset[str] = frozenset()  # tables whose next slice this poll reads

    @property
    def heavy(self) -> int:
        """How many heavy reads it carries (triage and the swarm's count as one scan)."""
        return int(self.triage or self.agents) + int(self.map) + len(self.slices)


@dataclass
class PollPlan:
    """The turn of each staggered read, poll after poll."""

    enabled: ClassVar[bool] = True  # off: everything every poll (`lcn bench console` baseline)
    polls: int = 0  # staggered polls planned
    sweeps: int = 0  # sweep polls planned: map and slices alternate by it
    slice_turns: int = 0  # slices given a turn: several sorted windows take turns by it
    last: Carry = field(default_factory=Carry)  # what the poll under way reads

    def next(
        self,
        *,
        staggered: bool,
        slices: Sequence[str] = (),
        map_shown: bool = True,
        asked: Iterable[str] = (),
    ) -> Carry:
        """The reads of the next poll. `staggered`: the pool is large and live; `slices`: the
        tables whose sorted window is due for its next slice; `asked`: panes the operator has
        just asked to see."""
        if not (self.enabled and staggered):
            self.last = Carry(slices=frozenset(slices))
            return self.last
        scan = self.polls % 2 == 0
        self.polls += 1
        if scan:
            carry = Carry(map=False)
        else:
            slice_turn = bool(slices) and (not map_shown or self.sweeps % 2 == 1)
            self.sweeps += 1
            if slice_turn:
                picked = slices[self.slice_turns % len(slices)]
                self.slice_turns += 1
                carry = Carry(triage=False, agents=False, map=False, slices=frozenset({picked}))
            else:
                carry = Carry(triage=False, agents=False)
        wanted = set(asked)
        if "triage" in wanted or "swarm" in wanted:
            carry = Carry(
                triage=carry.triage or "triage" in wanted,
                agents=carry.agents or "swarm" in wanted,
                map=carry.map,
                slices=carry.slices,
            )
        self.last = carry
        return carry
