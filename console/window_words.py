"""A table's window in words: which rows of how many, what the search found, and how far the
order reaches. A column sort or a search covers at most the read's budget of entries
(core.reads.jobs, core.reads.nodes); when the index is larger the words say so, so no one reads
"cost ↓" as the costliest job of all time when it is the costliest of the newest 5,000.
The count comes first: a narrow pane cuts its subtitle from the right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.state import TableView
    from core.reads.model import Page


def window_words(view: TableView, page: Page[Any], shown: int) -> str:
    """`1–20 of 812 · cost ↓ …`, `1–20 of 37 matches · "alice" · search limited to the newest
    5,000 of 1,000,000 · newest first`, or for an index read as it is `1–20 of 1,000`; the
    filter and search as typed (`view.filter_label`) after the count."""
    where = [view.filter_label] if view.filter_label else []
    rows = f"{page.offset + 1}–{page.offset + shown}"
    if page.matched is None:  # the index's own order, maybe filtered by a bounded scan
        more = "" if page.exact else "+"
        label = f"{rows} of {page.total:,}{more}" if shown else "no rows"
        if not page.exact:
            label += f" (filter scanned {page.scanned:,})"
        return " · ".join([label, *where, view.sort_label])
    reach = (
        f"all {page.scanned:,}"
        if page.exact
        else f"the {'newest' if view.sort.newest_first else 'oldest'} {page.scanned:,} "
        f"of {page.total:,}"
    )
    parts: list[str] = []
    if view.text:
        plural = "" if page.matched == 1 else "es"
        count = f"{page.matched:,} match{plural}"
        parts.append(f"{rows} of {count}" if shown else count if page.matched else "no matches")
        parts += where
        if not page.exact:
            parts.append(f"search limited to {reach}")
    else:
        parts.append(f"{rows} of {page.matched:,}" if shown else "no rows")
        parts += where
    if view.sort.column is None:
        parts.append(view.sort_label)
    else:
        parts.append(f"sorted by {view.sort_label} {'over' if page.exact else 'among'} {reach}")
    return " · ".join(parts)
