"""run_code refuses, before running anything, a task that cannot run as given."""

from __future__ import annotations

import pytest

from core.swarm.executors import ExecutionError, Limits, run_code


@pytest.mark.parametrize(
    ("language", "code", "input", "message"),
    [
        ("cobol", "DISPLAY 'HI'.", None, "Unknown language 'cobol'; known languages are"),
        ("python", "", None, "The code is empty."),
        ("python", "  \n\t", None, "The code is empty."),
        ("python", "#" * (64 * 1024 + 1), None, "over the limit of 65536 bytes"),
        ("python", "pass", {1, 2}, "The input is not valid JSON data"),
        ("python", "pass", {"x": float("nan")}, "The input is not valid JSON data"),
        ("python", "pass", "\ud800", "not valid Unicode"),
        ("python", "pass", "x" * 5_000_001, "over the limit of 5000000 bytes"),
    ],
)
async def test_invalid_tasks_are_refused(
    language: str, code: str, input: object, message: str, limits: Limits
) -> None:
    with pytest.raises(ExecutionError, match=message.replace("(", r"\(")) as info:
        await run_code(language, code, input, limits)
    assert str(info.value).endswith(".")


async def test_unknown_language_lists_the_known_ones(limits: Limits) -> None:
    with pytest.raises(ExecutionError) as info:
        await run_code("ruby", "puts 1", None, limits)
    assert "javascript" in str(info.value)
    assert "python" in str(info.value)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(timeout_s=0, cpu_seconds=1, memory_mb=256), "timeout"),
        (Limits(timeout_s=float("inf"), cpu_seconds=1, memory_mb=256), "timeout"),
        (Limits(timeout_s=1, cpu_seconds=0, memory_mb=256), "CPU limit"),
        (Limits(timeout_s=1, cpu_seconds=1.5, memory_mb=256), "whole number"),  # type: ignore[arg-type]
        (Limits(timeout_s=1, cpu_seconds=1, memory_mb=4), "memory limit"),
        (Limits(timeout_s=1, cpu_seconds=1, memory_mb=256, max_output_bytes=0), "output"),
    ],
)
async def test_unenforceable_limits_are_refused(limits: Limits, message: str) -> None:
    with pytest.raises(ExecutionError, match=message):
        await run_code("python", "pass", None, limits)
