"""The console's commands are registered on `lcn` with the documented options."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner

from console.app import run_console, run_console_async
from console.cli import app


def test_console_screenshots_and_bench_commands_are_registered() -> None:
    runner = CliRunner()
    console_help = runner.invoke(app, ["console", "--help"])
    assert console_help.exit_code == 0
    for option in ("--read-only", "--refresh", "--operator"):
        assert option in console_help.output
    assert runner.invoke(app, ["screenshots", "--help"]).exit_code == 0
    bench_help = runner.invoke(app, ["bench", "console", "--help"])
    assert bench_help.exit_code == 0 and "--json" in bench_help.output


def test_entry_points_for_lcn_demo() -> None:
    for entry in (run_console, run_console_async):
        params = inspect.signature(entry).parameters
        assert list(params) == ["settings", "read_only", "refresh", "operator", "theme"]
