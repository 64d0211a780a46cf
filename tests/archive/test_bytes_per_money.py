"""A final money record costs the archive well under a kilobyte on SQLite
(tests/archive/bytes_per_money.py prints the figure)."""

from __future__ import annotations

from pathlib import Path

from tests.archive.bytes_per_money import measure

BUDGET = 1024


async def test_a_money_record_costs_less_than_a_kilobyte(tmp_path: Path) -> None:
    figures = await measure(2000, tmp_path)
    print(figures)
    assert figures["archiveBytesPerRecord"] <= BUDGET, figures
