"""A sorted or searched window read again in slices, one slice per poll.

A column sort or a text search examines up to SEARCH_BUDGET index entries inside one Lua
script: read whole, that is one poll every few seconds costing many times an ordinary poll (at
100k nodes, ~100 ms of a loaded server against ~10 ms). After the first read (which the
operator waits for, so it is read whole), the console refreshes such a window in slices of
SLICE entries, one per poll, and keeps showing the last complete window until the pass is done;
then the slices' best rows are merged into what one whole read would have returned: each slice
returns its best `offset + limit` rows with their sort values, the best of the whole budget are
among them, and a stable sort of the slices in index order keeps ties in the index's order.
Entries the index gains or loses during a pass can shift a slice boundary by as much: a row may
then be examined twice (shown once) or once not at all, until the next pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from core.reads.model import SEARCH_BUDGET, Page

SLICE = 500  # index entries one poll examines while a sorted window is refreshed
MAX_KEEP = 500  # a slice returns offset + limit rows, which a window's limit bounds


@dataclass
class OrderedSweep:
    """One pass over a sorted or searched window's budget, a slice per poll."""

    enabled: ClassVar[bool] = True  # off: read whole every time (`lcn bench console` baseline)
    budget: int = SEARCH_BUDGET
    next_from: int = 0  # where the next slice starts in the index
    parts: list[Page[Any]] = field(default_factory=list)
    slices: int = 0  # slices read in this pass

    def slice_budget(self) -> int:
        return max(1, min(SLICE, self.budget - self.next_from))

    def absorb(self, page: Page[Any], *, offset: int, limit: int) -> Page[Any] | None:
        """Take one slice; the merged window once the pass is complete, else None."""
        self.next_from += self.slice_budget()
        self.parts.append(page)
        self.slices += 1
        if page.exact or self.next_from >= self.budget or page.scanned == 0:
            return merge(self.parts, offset=offset, limit=limit)
        return None


def row_key(row: Any) -> str:
    """A job row's id, else a node row's (a job row also names its node)."""
    return str(getattr(row, "job_id", None) or getattr(row, "node_id", ""))


def merge(parts: list[Page[Any]], *, offset: int, limit: int) -> Page[Any]:
    """The window `offset`, `limit` of the slices' rows, as one read of them all returns it."""
    entries: list[tuple[float, Any]] = []
    for part in parts:
        values = part.values if part.values is not None else [0.0] * len(part.rows)
        entries.extend(zip(values, part.rows, strict=False))
    entries.sort(key=lambda entry: -entry[0])  # stable: a tie (a search: all) keeps index order
    seen: set[str] = set()
    rows: list[Any] = []
    for _, row in entries:
        key = row_key(row)
        if key not in seen:
            seen.add(key)
            rows.append(row)
    last = parts[-1]
    return last.model_copy(
        update={
            "rows": rows[offset : offset + limit],
            "offset": offset,
            "scanned": sum(part.scanned for part in parts),
            "matched": sum(part.matched or 0 for part in parts),
            "values": None,
        }
    )
