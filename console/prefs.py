"""What the console remembers between runs: the theme chosen in the command palette.

One small JSON file, `console.json` in lcn's data directory (LCN_DATA_DIR, by default the
user's data dir), readable by its owner only. `lcn console --theme NAME` overrides it for one
run without changing it; a theme picked in the palette (ctrl+p → "Change theme") is saved at
once. A file that cannot be read, or names a theme this Textual lacks, is ignored: the console
starts in its default theme rather than not at all.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.theme import BUILTIN_THEMES, Theme

from console.palette import LCN_16
from core.access.roles import Actor

if TYPE_CHECKING:
    from console.app import LcnConsole

FILE_NAME = "console.json"
DEFAULT_THEME = "textual-dark"


def prefs_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load(data_dir: Path) -> dict[str, Any]:
    try:
        found = json.loads(prefs_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def save(data_dir: Path, **changes: Any) -> Path:
    """Merge `changes` into the file, replaced atomically (a crash leaves the old one whole),
    created 0600."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = prefs_path(data_dir)
    text = json.dumps({**load(data_dir), **changes}, indent=1, sort_keys=True) + "\n"
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # also when an older temporary file was left with other bits
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path


def themes() -> list[str]:
    """Textual's themes and lcn's own 16-colour one."""
    return sorted({*BUILTIN_THEMES, LCN_16.name})


def check_theme(name: str) -> str:
    """`name` if Textual has that theme; else ValueError with one sentence listing them."""
    if name not in themes():
        raise ValueError(f"Unknown theme {name!r}; use one of {', '.join(themes())}.")
    return name


def saved_theme(data_dir: Path) -> str | None:
    name = load(data_dir).get("theme")
    return name if isinstance(name, str) and name in themes() else None


def restore_theme(app: LcnConsole, override: str | None, default: str = DEFAULT_THEME) -> None:
    """Start in `override`, else the remembered theme, else `default` (the terminal's: lcn-16 on
    16 colours); from now on a theme the operator picks is remembered."""
    data_dir = app.settings.data_dir
    start = override or saved_theme(data_dir) or default
    app.theme = start
    # Textual publishes the change just made too (on the next turn): that one is not a choice.
    starting = [start]

    def remember(theme: Theme) -> None:
        if starting and theme.name == starting.pop():
            return
        try:
            save(data_dir, theme=theme.name)
        except OSError as exc:
            app.notify(f"Cannot remember the theme in {prefs_path(data_dir)}: "
                       f"{exc.strerror or exc}.", severity="warning")  # fmt: skip

    if not isinstance(app.operator, Actor):  # over SSH a key's choice is its session's only
        app.theme_changed_signal.subscribe(app, remember)
