"""The package works outside a checkout: the wheel holds every file the code reads at run time
(the console's stylesheet, the Lua scripts), and a fresh virtualenv with only that wheel runs
`lcn` and starts the console with its stylesheet, from a directory far from the source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a build reads: the project's metadata and its packages, nothing of the working tree's
# caches or builds (so building never writes into the checkout).
SOURCES = ("pyproject.toml", "README.md", "core", "console", "styles")
RUNTIME_SUFFIXES = (".lua", ".tcss", ".jsonl")


def _clean_env() -> dict[str, str]:
    """The environment without anything that would put the checkout on sys.path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.defpath
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("*.whl")
    return built


def _runtime_files() -> set[str]:
    """Every non-Python file under the packages, as a wheel would name it."""
    found = set()
    for package in ("core", "console", "styles"):
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix in RUNTIME_SUFFIXES:
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_wheel_holds_the_stylesheet_and_every_lua_script(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = _runtime_files()
    assert "styles/lcn.tcss" in wanted
    assert "core/store/lua/include/jobs.lua" in wanted
    assert "core/archive/row_dictionary_v1.jsonl" in wanted
    assert len([n for n in wanted if n.endswith(".lua")]) > 40
    assert wanted <= names, sorted(wanted - names)
    assert "styles/__init__.py" in names
    assert not any(n.startswith("tests/") for n in names)


# The script the installed package runs: the console against the suite's Redis, headless.
CONSOLE_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    import console, styles
    from console.app import STYLES, LcnConsole
    from console.shots import screen_text, settle
    from core.config import Settings

    async def main() -> None:
        settings = Settings(redis_url=sys.argv[1], pool=sys.argv[2], data_dir=sys.argv[3])
        app = LcnConsole(settings, refresh=30.0, show_timing=False, operator="packaging")
        async with app.run_test(size=(160, 48)) as pilot:
            for _ in range(300):  # a cold process's first poll (imports, script loads)
                if app.connected:
                    break
                await pilot.pause(0.1)
            await settle(pilot, app)
            print("package", console.__file__)
            print("stylesheet", STYLES)
            print("panes", " ".join(sorted(app.shown_panes())))
            print(screen_text(app))

    asyncio.run(main())
    """
)


def test_a_fresh_virtualenv_runs_the_console_from_the_wheel(
    wheel: Path, tmp_path: Path, redis_url: str, pool: str
) -> None:
    """Slow: a virtualenv and the wheel's dependencies (about 30 s with pip's cache warm)."""
    venv = tmp_path / "venv"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=120)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    help_text = subprocess.run(
        [str(venv / "bin" / "lcn"), "--help"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert help_text.returncode == 0, help_text.stderr
    assert "console" in help_text.stdout and "node" in help_text.stdout

    started = subprocess.run(
        [str(python), "-c", CONSOLE_SCRIPT, redis_url, pool, str(tmp_path / "data")],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in started.stdout.splitlines()[:3])
    site = str(venv / "lib")
    assert lines["package"].startswith(site), lines
    assert lines["stylesheet"].startswith(site) and lines["stylesheet"].endswith("lcn.tcss")
    # The 2×2 dashboard at 160×48 is the stylesheet's doing (Screen.-wide.-tall).
    assert lines["panes"] == "earnings jobs nodes swarm", lines
    assert "● live" in started.stdout, started.stdout
