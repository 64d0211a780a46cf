"""Where a replay stands: the recorded times, the one shown, the speed and whether it plays.
Pure state, so the keys' effects are tested without a terminal."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

SPEEDS = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # recorded seconds per second


@dataclass
class Timeline:
    times: list[int]  # recorded times (ms), oldest first; never empty
    index: int = 0
    speed_index: int = 3  # 8×: a 5-second recording every ~0.6 s
    playing: bool = False
    _ahead_ms: float = 0.0  # played time past the shown recording, not yet at the next one

    @property
    def at(self) -> int:
        return self.times[self.index]

    @property
    def total(self) -> int:
        return len(self.times)

    @property
    def speed(self) -> int:
        return SPEEDS[self.speed_index]

    @property
    def at_end(self) -> bool:
        return self.index == len(self.times) - 1

    def go(self, index: int) -> bool:
        """Show recording `index` (clamped); True when that changed what is shown."""
        index = max(0, min(len(self.times) - 1, index))
        moved, self.index, self._ahead_ms = index != self.index, index, 0.0
        return moved

    def step(self, by: int) -> bool:
        """A step pauses, as in a video player: the operator looks at one moment."""
        self.playing = False
        return self.go(self.index + by)

    def seek(self, ms: int) -> bool:
        """The last recording at or before `ms` (the first one, if `ms` is before them all)."""
        return self.go(bisect_right(self.times, ms) - 1)

    def toggle(self) -> bool:
        """Play or pause; playing at the end starts again from the beginning."""
        self.playing = not self.playing
        if self.playing and self.at_end:
            self.go(0)
        return self.playing

    def faster(self) -> int:
        self.speed_index = min(len(SPEEDS) - 1, self.speed_index + 1)
        return self.speed

    def slower(self) -> int:
        self.speed_index = max(0, self.speed_index - 1)
        return self.speed

    def advance(self, elapsed_s: float) -> bool:
        """Play `elapsed_s` of wall time at the speed; stops at the end. True when moved."""
        if not self.playing:
            return False
        target = self.at + self._ahead_ms + elapsed_s * 1000 * self.speed
        index = bisect_right(self.times, target) - 1
        moved = self.go(index)
        self._ahead_ms = target - self.at
        if self.at_end:
            self.playing = False
        return moved
