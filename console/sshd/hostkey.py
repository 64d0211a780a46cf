"""The server's host key: made once (Ed25519, mode 0600) and kept, so clients that have seen
the server recognise it after a restart."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import asyncssh

from core.errors import SetupError


def default_path(data_dir: Path) -> Path:
    return data_dir / "ssh_host_ed25519_key"


def load_or_create(path: Path) -> asyncssh.SSHKey:
    """The private key at `path`, made there first if there is none; a key others can read is
    refused, as OpenSSH refuses it."""
    if not path.exists():
        return _create(path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SetupError(f"Host key {path} is readable by others (mode {mode:04o}); chmod 600 it.")
    try:
        return asyncssh.read_private_key(path)
    except (asyncssh.KeyImportError, OSError, ValueError) as exc:
        raise SetupError(f"Host key {path} cannot be read as a private key ({exc}).") from None


def _create(path: Path) -> asyncssh.SSHKey:
    key = asyncssh.generate_private_key("ssh-ed25519", comment="lcn serve ssh")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two servers starting at once do not overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create(path)
    except OSError as exc:
        raise SetupError(f"Cannot create the host key {path} ({exc}).") from None
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    return key
