"""The archive stays within issue 13's budget, ≤ 1,500 bytes per finished no-op job on SQLite
with its two journal postings, and keeps the dictionary's gain (~1,030 bytes at 20,000 jobs;
tests/archive/bytes_per_job.py prints the figures)."""

from __future__ import annotations

from pathlib import Path

from tests.archive.bytes_per_job import measure

BUDGET = 1200  # the 1,500, less most of what the row dictionary saved


async def test_a_noop_job_costs_at_most_one_and_a_half_kilobytes(tmp_path: Path) -> None:
    figures = await measure(4000, tmp_path)
    assert figures["totalBytesPerJob"] <= BUDGET, figures
