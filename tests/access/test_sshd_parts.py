"""The SSH server's parts that need no client: its host key, the colours it gives a client's
terminal, and its limits."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from rich.color import ColorSystem

from console.sshd.config import SshSettings
from console.sshd.hostkey import load_or_create
from console.sshd.limits import Limits
from console.sshd.session import color_system
from core.errors import SetupError


def test_the_host_key_is_made_0600_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "host"
    made = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create(path)
    assert again.get_fingerprint("sha256") == made.get_fingerprint("sha256")
    path.chmod(0o644)
    with pytest.raises(SetupError, match=r"readable by others \(mode 0644\); chmod 600 it"):
        load_or_create(path)
    path.chmod(0o600)
    path.write_text("not a key")
    with pytest.raises(SetupError, match="cannot be read as a private key"):
        load_or_create(path)


def test_colours_follow_the_clients_terminal() -> None:
    assert color_system("xterm-256color", {}) == ColorSystem.EIGHT_BIT
    assert color_system("xterm", {}) == ColorSystem.STANDARD
    assert color_system("xterm", {"COLORTERM": "truecolor"}) == ColorSystem.TRUECOLOR
    assert color_system("dumb", {}) is None


def test_session_limits_in_all_and_per_key() -> None:
    limits = Limits(SshSettings(max_sessions=3, max_sessions_per_key=2))
    for name in ("a", "a", "b"):
        assert limits.refuse_session(name) is None
        limits.opened(name)
    assert limits.refuse_session("c") == "The server has its maximum of 3 sessions open."
    limits.closed("b")
    assert limits.refuse_session("a") == (
        "Key a has its maximum of 2 sessions open; close one first."
    )
    assert limits.refuse_session("b") is None
    limits.closed("a")
    limits.closed("a")
    assert limits.total == 0 and not limits.open


def test_refused_keys_turn_an_address_away_for_the_window() -> None:
    limits = Limits(SshSettings(auth_failure_limit=2, auth_window_s=3600))
    assert not limits.blocked("10.0.0.1")
    limits.failed("10.0.0.1", "SHA256:x")
    assert not limits.blocked("10.0.0.1")
    limits.failed("10.0.0.1", "SHA256:x")
    assert limits.blocked("10.0.0.1") and not limits.blocked("10.0.0.2")
