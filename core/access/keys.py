"""SSH keys granted a role on the console (`lcn access`). Redis keeps, per key, its name, its
role, its SHA256 fingerprint, its public key and when it was granted; the SSH server signs a
client in by the fingerprint of the key it presents, and sessions re-read the grant."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import asyncssh
from pydantic import Field

from core.access.roles import Actor, Forbidden, Role, role_named
from core.errors import InvalidInput
from core.models.base import WireModel, ms_to_datetime
from core.store import Store, calls

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_KEY_FILE = 16_384  # an OpenSSH public key line is well under 1 KiB even for RSA-8192


class SshKey(WireModel):
    """A granted key, as `lcn access list` shows it."""

    name: str
    role: str = Field(description="viewer, operator or admin.")
    fingerprint: str = Field(description="The public key's SHA256 fingerprint, as ssh-keygen -l.")
    algorithm: str
    created_at: datetime | None

    def actor(self) -> Actor:
        return Actor(self.name, role_named(self.role), self.fingerprint)


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"SSH key name {name!r} is not 1-64 letters, digits, dots, dashes or underscores."
        )
    return name


def parse_public_key(text: str, source: str = "the key") -> asyncssh.SSHKey:
    """One OpenSSH public key (a `.pub` line), or a one-sentence refusal."""
    if "PRIVATE KEY" in text:
        raise InvalidInput(f"{source} is a private key; give the .pub file.")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if len(lines) != 1:
        raise InvalidInput(f"{source} must hold exactly one public key line, not {len(lines)}.")
    try:
        return asyncssh.import_public_key(lines[0])
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise InvalidInput(f"{source} is not an OpenSSH public key ({exc}).") from None


def read_key_file(path: Path) -> asyncssh.SSHKey:
    try:
        if path.stat().st_size > MAX_KEY_FILE:
            raise InvalidInput(f"{path} is too large to be a public key file.")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"No key file at {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read the key file {path} ({exc}).") from None
    return parse_public_key(text, str(path))


def fingerprint_of(key: asyncssh.SSHKey) -> str:
    return str(key.get_fingerprint("sha256"))


def _from_hash(raw: dict[bytes, bytes]) -> SshKey:
    h = {k.decode(): v.decode() for k, v in raw.items()}
    return SshKey(
        name=h["name"],
        role=h["role"],
        fingerprint=h["fingerprint"],
        algorithm=h.get("public_key", "").split(" ", 1)[0],
        created_at=ms_to_datetime(int(h.get("created_at") or 0)),
    )


async def add(store: Store, name: str, key: asyncssh.SSHKey, role: str) -> SshKey:
    """Grant `key` the role `role` under `name`; a taken name or an already granted key is
    refused."""
    check_name(name)
    granted: Role = role_named(role)
    fingerprint = fingerprint_of(key)
    line = key.export_public_key("openssh").decode().split()
    now_ms = int(time.time() * 1000)
    await calls.add_ssh_key(store, name, fingerprint, granted.label, " ".join(line[:2]), now_ms)
    return SshKey(
        name=name,
        role=granted.label,
        fingerprint=fingerprint,
        algorithm=line[0],
        created_at=ms_to_datetime(now_ms),
    )


async def list_keys(store: Store) -> list[SshKey]:
    """Every granted key, by name."""
    index: dict[bytes, bytes] = await store.redis.hgetall(store.keys.ssh_keys)
    names = sorted(index)
    async with store.redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(store.keys.ssh_key(index[name].decode()))
        rows = await pipe.execute()
    return [_from_hash(raw) for raw in rows if raw]


async def revoke(store: Store, name: str) -> str:
    """Forget the key named `name`; its fingerprint. Its open sessions end within seconds."""
    return await calls.revoke_ssh_key(store, check_name(name))


async def by_fingerprint(store: Store, fingerprint: str) -> SshKey | None:
    """The grant of the key with this fingerprint, if any (the SSH server's sign-in)."""
    raw = await store.redis.hgetall(store.keys.ssh_key(fingerprint))
    return _from_hash(raw) if raw else None


async def role_now(store: Store, actor: Actor) -> Role:
    """The actor's role as granted now; a revoked (or replaced) key is refused. A capped local
    operator (no key) has the role it took."""
    if not actor.fingerprint:
        return actor.role
    grant = await by_fingerprint(store, actor.fingerprint)
    if grant is None or grant.name != actor.name:
        raise Forbidden(f"Key {actor.name} is no longer granted access.")
    return role_named(grant.role)
