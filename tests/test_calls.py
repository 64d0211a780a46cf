"""Every state-changing Lua script has one typed wrapper in core/store/calls, and nothing else
calls a script by name (the console's snapshot reads batch theirs in one pipeline)."""

from __future__ import annotations

import re
from pathlib import Path

from core.store import calls
from core.store.scripts import script_names

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "core" / "store" / "calls"
SNAPSHOT_READS = {n for n in script_names() if n.startswith("snapshot_")}
BY_NAME = re.compile(r"\.script\(\s*\"(\w+)\"")


def test_every_script_has_one_typed_wrapper_of_its_name() -> None:
    wrapped = [m[1] for path in CALLS.glob("*.py") for m in BY_NAME.finditer(path.read_text())]
    assert sorted(wrapped) == sorted(set(script_names()) - SNAPSHOT_READS)
    assert all(callable(getattr(calls, name)) for name in wrapped)


def test_only_the_wrappers_call_a_script_by_name() -> None:
    modules = [*(ROOT / "core").rglob("*.py"), *(ROOT / "console").rglob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}: {match[1]}"
        for path in modules
        if path.parent != CALLS
        for match in BY_NAME.finditer(path.read_text())
        if match[1] not in SNAPSHOT_READS
    ]
    assert found == []
