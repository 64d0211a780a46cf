"""A table's window in words: which rows of how many, what the search found, and how far the
order reaches. A column sort or a search covers at most the read's budget of entries
(core.reads.jobs, core.reads.nodes); when the index is larger the words say so, so no one reads
"cost ↓" as the costliest job of all time when it is the costliest of the newest 10,000."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.state import TableView
    from core.reads.model import Page


def window_words(view: TableView, page: Page[Any], shown: int) -> str:
    """`1–20 of 812 · cost ↓ over all 812`, `1–20 of 37 matches · search limited to the newest
    10,000 of 1,000,000 · newest first`, or for an index read as it is `1–20 of 1,000`."""
    first, last = page.offset + 1, page.offset + shown
    rows = f"{first}–{last}" if shown else "none shown"
    if page.matched is None:  # the index's own order, maybe filtered by a bounded scan
        if not shown:
            return f"no rows · {view.sort_label}"
        more = "" if page.exact else "+"
        label = f"{rows} of {page.total:,}{more}"
        if not page.exact:
            label += f" (filter scanned {page.scanned:,})"
        return f"{label} · {view.sort_label}"
    reach = (
        f"all {page.scanned:,}"
        if page.exact
        else f"the {'newest' if view.sort.newest_first else 'oldest'} {page.scanned:,} "
        f"of {page.total:,}"
    )
    if view.text:
        plural = "" if page.matched == 1 else "es"
        label = f"{rows} of {page.matched:,} match{plural}"
        if not page.exact:
            label += f" · search limited to {reach}"
    else:
        label = f"{rows} of {page.matched:,}"
    if view.sort.column is None:
        return f"{label} · {view.sort_label}"
    where = "over" if page.exact else "among"
    return f"{label} · sorted by {view.sort_label} {where} {reach}"
