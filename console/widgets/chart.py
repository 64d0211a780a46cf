"""A bar chart with labelled axes, drawn in text: the y axis names its top and bottom values
(in the series' unit), the x axis how long ago its left end and middle were and where "now"
is. Bars are eighth blocks (▁▂▃▄▅▆▇█), so a chart keeps 8 steps per row without colour; with
the console's ASCII glyph set (console.glyphs) they are '#' and ':' and the axes + | -. A gap
(no value for a bucket) is drawn as nothing, not as a zero."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from console.format import duration
from console.glyphs import ascii_of, plain

BLOCKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class ChartData:
    """One series to chart: values per bucket, oldest first, the last one holding `now`."""

    title: str
    values: tuple[int | None, ...]
    bucket_ms: int
    label: Callable[[int], str] = str  # a value in the series' unit: "12", "$0.58"
    zero_based: bool = True  # rates start at 0; a level (queue depth) at its own minimum
    bad: bool = False  # failures: drawn in the error colour, not the success one


def render_chart(
    data: ChartData, width: int, height: int, *, ascii: bool = False, bars: Style | str = ""
) -> Text:
    """The chart in `width` × `height` cells: a title line, plot rows, the axis, its labels."""
    text = Text(no_wrap=True, overflow="crop")
    known = [v for v in data.values if v is not None]
    plot_rows = max(1, height - 3)
    top = max(known, default=0)
    bottom = 0 if data.zero_based or not known else min(known)
    if bottom == top and not data.zero_based:
        bottom = max(0, top - 1)
    top_label, bottom_label = data.label(top), data.label(bottom)
    margin = max(len(top_label), len(bottom_label))
    plot_width = max(1, width - margin - 2)
    tail: list[int | None] = list(data.values[-plot_width:])
    buckets = len(tail)
    shown: list[int | None] = [None] * (plot_width - buckets)
    shown += tail  # right-aligned: "now" is the last column
    last = next((v for v in reversed(shown) if v is not None), None)
    summary = f" · now {data.label(last)}" if last is not None else " · no data yet"
    text.append(plain(f"{data.title}{summary}", ascii)[:width], style="bold")
    span = max(1, top - bottom)
    eighths = [
        None if v is None else round((v - bottom) / span * plot_rows * 8) if top > bottom else 0
        for v in shown
    ]
    for row in range(plot_rows):
        level = (plot_rows - 1 - row) * 8
        label = top_label if row == 0 else bottom_label if row == plot_rows - 1 else ""
        text.append(f"\n{label:>{margin}} ", style="dim")
        tick, axis = ("+", "|") if ascii else ("┤", "│")
        text.append(tick if row in (0, plot_rows - 1) else axis, style="dim")
        cells = []
        for e in eighths:
            fill = 0 if e is None else max(0, min(8, e - level))
            if ascii:
                cells.append("#" if fill >= 4 else ":" if fill else " ")
            else:
                cells.append(BLOCKS[fill - 1] if fill else " ")
        # a value above the bottom never vanishes: at least the lowest block in the bottom row
        if row == plot_rows - 1:
            for i, e in enumerate(eighths):
                if e == 0 and shown[i] is not None and shown[i] != bottom:
                    cells[i] = "." if ascii else BLOCKS[0]
        text.append("".join(cells), style=bars)
    corner, rule = ("+", "-") if ascii else ("└", "─")
    text.append(f"\n{'':>{margin}} {corner}" + rule * plot_width, style="dim")
    text.append("\n" + " " * (margin + 2) + time_axis(buckets, plot_width, data.bucket_ms))
    return text


def time_axis(buckets: int, width: int, bucket_ms: int) -> str:
    """Under the plot: how long ago its left end and its middle were, and "now" on the right
    (the bars are right-aligned, so "now" is always the last column)."""
    left = f"-{span(buckets * bucket_ms)}" if buckets else ""
    axis = [" "] * width
    start = width - buckets

    def put(at: int, label: str) -> None:
        at = max(0, min(width - len(label), at))
        if all(c == " " for c in axis[max(0, at - 1) : at + len(label) + 1]):
            axis[at : at + len(label)] = list(label)

    put(width - 3, "now")
    if buckets:
        put(min(start, width - 4 - len(left)), left)  # few buckets: just left of "now"
        if buckets >= 16:
            put(start + buckets // 2 - 2, f"-{span(buckets // 2 * bucket_ms)}")
    return "".join(axis).rstrip()


def span(ms: int) -> str:
    """A stretch of time, short: 10m, 5m, 1m30s, 40s."""
    text = duration(ms)
    return text[: -len("00s")] if text.endswith("m00s") else text


class Chart(Static):
    """A ChartData drawn to the widget's size; `plot` redraws only when the data changed."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"chart--bars", "chart--bad-bars"}
    DEFAULT_CSS = """
    Chart { height: 8; }
    Chart > .chart--bars { color: $success; }
    Chart > .chart--bad-bars { color: $error; }
    """

    def __init__(self, data: ChartData | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.data: ChartData | None = data

    def plot(self, data: ChartData) -> None:
        if data != self.data:
            self.data = data
            self.refresh()

    def render(self) -> Text:
        ascii_only = ascii_of(self.app)
        if self.data is None:
            return Text(plain("loading…", ascii_only))
        size = self.content_size
        tone = "chart--bad-bars" if self.data.bad else "chart--bars"
        bars = self.get_component_rich_style(tone, partial=True)
        return render_chart(self.data, size.width, size.height, ascii=ascii_only, bars=bars)


def depth_values(samples: Sequence[tuple[int, int]], last_bucket: int, buckets: int,
                 bucket_ms: int) -> tuple[int | None, ...]:  # fmt: skip
    """Samples (ms, value) as one value per bucket (the last sample in it), `buckets` buckets
    ending at `last_bucket`; None where no sample fell."""
    by_bucket: dict[int, int] = {}
    for at, value in samples:
        by_bucket[at // bucket_ms] = value
    first = last_bucket - buckets + 1
    return tuple(by_bucket.get(b) for b in range(first, last_bucket + 1))
