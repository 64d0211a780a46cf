"""Key pairs for the access tests, made with asyncssh (ssh-keygen's format)."""

from __future__ import annotations

from pathlib import Path

import asyncssh


def key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    """A fresh Ed25519 pair: (private key file 0600, public key file)."""
    key = asyncssh.generate_private_key("ssh-ed25519", comment=name)
    private = directory / name
    private.write_bytes(key.export_private_key())
    private.chmod(0o600)
    public = directory / f"{name}.pub"
    public.write_bytes(key.export_public_key())
    return private, public
