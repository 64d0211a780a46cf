"""`lcn access add/list/revoke`: keys validated, stored with name, role, fingerprint and time,
refusals one sentence each."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import asyncssh
from click.testing import Result

from tests.access.keyfiles import key_pair

Lcn = Callable[..., Result]


def test_add_list_revoke(lcn: Lcn, tmp_path: Path) -> None:
    _, public = key_pair(tmp_path, "alice")
    fingerprint = asyncssh.read_public_key(public).get_fingerprint("sha256")
    out = lcn("access", "add", "alice", "--key", str(public), "--role", "operator").output
    assert out.strip() == f"granted alice (operator) {fingerprint}"
    listed = json.loads(lcn("access", "list", "--json").output)
    assert [(k["name"], k["role"], k["fingerprint"], k["algorithm"]) for k in listed] == [
        ("alice", "operator", fingerprint, "ssh-ed25519")
    ]
    assert listed[0]["createdAt"]
    assert "alice  operator  SHA256:" in lcn("access", "list").output
    assert lcn("access", "revoke", "alice").output.strip() == f"revoked alice ({fingerprint})"
    assert json.loads(lcn("access", "list", "--json").output) == []
    assert lcn("access", "list").output.splitlines() == ["NAME  ROLE  FINGERPRINT  CREATED"]


def test_refusals_are_one_sentence(lcn: Lcn, tmp_path: Path) -> None:
    private, public = key_pair(tmp_path, "bob")
    _, other = key_pair(tmp_path, "carol")
    two = tmp_path / "two.pub"
    two.write_text(public.read_text() + other.read_text())
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("ssh-ed25519 not-base64 x\n")
    lcn("access", "add", "bob", "--key", str(public), "--role", "viewer")
    cases = {
        ("bob", str(other), "viewer"): "An SSH key named bob already exists; revoke it first.",
        ("bobby", str(public), "viewer"): "This key is already granted as bob.",
        ("x", str(private), "viewer"): "is a private key; give the .pub file.",
        ("x", str(two), "viewer"): "must hold exactly one public key line, not 2.",
        ("x", str(garbage), "viewer"): "is not an OpenSSH public key",
        ("x", str(tmp_path / "none.pub"), "viewer"): "No key file at",
        ("x", str(other), "root"): "Unknown role 'root'; use one of viewer, operator, admin.",
        ("a b", str(other), "viewer"): "SSH key name 'a b' is not 1-64 letters",
    }
    for (name, key, role), message in cases.items():
        result = lcn("access", "add", name, "--key", key, "--role", role, ok=False)
        assert result.exit_code == 1 and message in result.output, (name, result.output)
    result = lcn("access", "revoke", "nobody", ok=False)
    assert result.exit_code == 1 and "No SSH key is named nobody." in result.output
    assert [k["name"] for k in json.loads(lcn("access", "list", "--json").output)] == ["bob"]


def test_console_role_is_checked_before_the_console_opens(lcn: Lcn) -> None:
    result = lcn("console", "--role", "root", ok=False)
    assert result.exit_code == 2
    assert "Unknown role 'root'; use one of viewer, operator, admin." in result.output
