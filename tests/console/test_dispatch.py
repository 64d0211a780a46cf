"""Every command that writes runs through the one dispatcher (console.actions.dispatch), and
only there are the registry's flags enforced: `writes` refused in read-only mode, `destructive`
confirmed. The Pilot tests in test_app.py and test_safety.py check what the operator sees."""

from __future__ import annotations

import re
from pathlib import Path

import console
from console import commands
from console.actions.dispatch import OPERATIONS, command_of
from console.actions.operation import Operation

CONSOLE = Path(console.__file__).parent


def test_every_command_that_writes_is_an_operation_of_the_dispatcher() -> None:
    operated = {c.action for c in commands.COMMANDS if c.action.startswith("operate(")}
    assert {c.action for c in commands.COMMANDS if c.writes or c.destructive} == operated
    assert operated == {commands.operate(name) for name in OPERATIONS}
    assert all(command_of(name).writes for name in OPERATIONS)


def test_every_destructive_operation_has_its_question() -> None:
    for name, operation in OPERATIONS.items():
        if command_of(name).destructive:
            assert type(operation).confirmation is not Operation.confirmation, name


def test_only_the_dispatcher_confirms_or_refuses_read_only() -> None:
    dispatcher = CONSOLE / "actions" / "dispatch.py"
    for path in CONSOLE.rglob("*.py"):
        if path == dispatcher:
            continue
        text = path.read_text()
        assert not re.search(r"(?<!class )ConfirmScreen\(", text), path
        assert "is disabled:" not in text, path
