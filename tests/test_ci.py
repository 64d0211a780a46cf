"""CI runs exactly the README's test command, and that command checks before it tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Test it", 1)[1]
    block = re.search(r"```sh\n(.*?)\n```", section, re.S)
    assert block is not None, "README's 'Test it' has no sh block"
    (command,) = block[1].strip().splitlines()
    return command


def test_ci_runs_the_readme_test_command() -> None:
    lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.strip()]
    assert lines[-1] == _readme_test_command()


def test_the_test_command_lints_formats_and_types_before_pytest() -> None:
    steps = [step.strip() for step in _readme_test_command().split("&&")]
    assert steps == [
        "pip install -e '.[dev]'",
        "ruff check .",
        "ruff format --check .",
        "mypy",
        "pytest",
    ]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'files = ["core", "console"]' in pyproject and "strict = true" in pyproject
