"""The embedded Redis's ACL users: who may do what, and where their passwords live.

The embedded server has no unauthenticated user (`default` is off). lcn creates four users, each
with the least it needs:

* `lcn-admin` manages the server (start checks, rule upgrades, SHUTDOWN); it is the only user
  with MODULE, DEBUG, CONFIG, SHUTDOWN, ACL and the other admin commands.
* `lcn-core` is every lcn process (orchestrator, gateway, CLI, demo, console): every data
  command and scripting, but nothing in Redis's `@dangerous` category except INFO and naming
  its own connection (CLIENT SETNAME/INFO).
* `lcn-reader` is `lcn console --read-only`: read commands, INFO, EVALSHA and SCRIPT LOAD on
  `lcn:*` keys. Redis checks a script's commands against the caller's ACL, so a writing script
  run by this user fails at its first write and writes nothing.
* `lcn-agent` is `lcn node run`: reads, scripting and only the write commands the agent's
  scripts use, on `lcn:*` keys. Redis ACLs (6.2 and 7 alike) cannot tie a user to particular
  scripts, so this user can also send those write commands directly; the sandbox, not the ACL,
  keeps jobs away from Redis.

The passwords are random, kept in `redis-users.json` (mode 0600) in the data directory, and the
server loads `redis-users.acl` (SHA-256 hashes only) at start, so no password is ever on a
command line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.errors import SetupError

PASSWORDS_FILE = "redis-users.json"
ACL_FILE = "redis-users.acl"

Role = Literal["admin", "core", "reader", "agent"]
ClientRole = Literal["core", "reader", "agent"]

# What `lcn node run` does over a RedisLink: register (a nonce, then one script), heartbeats,
# its agents' roster, and claim → extend → complete | fail | hand back.
AGENT_SCRIPTS = (
    "register_node",
    "place_pending",
    "node_heartbeat",
    "agent_register",
    "agent_report",
    "claim_job",
    "extend_lease",
    "complete_job",
    "fail_job",
)
# Those scripts and the agent's direct writes (the registration nonce, result blobs) use only
# these write commands (a test reads the scripts to keep this list true).
AGENT_WRITE_COMMANDS = (
    "hset",
    "hsetnx",
    "hincrby",
    "zadd",
    "zrem",
    "sadd",
    "srem",
    "rpush",
    "lpop",
    "lrem",
    "ltrim",
    "xadd",
    "set",
)
# Reading and running (or loading) scripts; TIME because the scripts' shared helpers call it.
_READ_AND_SCRIPTS = (
    "-@all +@read -@dangerous -memory +evalsha +script|load +script|exists +ping +time"
)

# A client may name and describe its own connection (RQ's workers do), not list or kill others.
_NAME_ITSELF = "+client|setname +client|getname +client|id +client|info +client|setinfo"


@dataclass(frozen=True)
class RedisUser:
    role: Role
    name: str
    rules: str


USERS: dict[Role, RedisUser] = {
    "admin": RedisUser("admin", "lcn-admin", "~* &* +@all"),
    "core": RedisUser("core", "lcn-core", f"~* &* +@all -@dangerous +info {_NAME_ITSELF}"),
    # INFO too: the console's triage shows a Redis that refuses writes for memory.
    "reader": RedisUser("reader", "lcn-reader", f"~lcn:* resetchannels {_READ_AND_SCRIPTS} +info"),
    "agent": RedisUser(
        "agent",
        "lcn-agent",
        f"~lcn:* resetchannels {_READ_AND_SCRIPTS} "
        + " ".join(f"+{command}" for command in AGENT_WRITE_COMMANDS),
    ),
}
# With an ACL file Redis would otherwise create `default` with no password and every command.
DEFAULT_USER_RULES = "reset off"


def passwords_path(data_dir: Path) -> Path:
    return data_dir / PASSWORDS_FILE


def acl_path(data_dir: Path) -> Path:
    return data_dir / ACL_FILE


def read_passwords(data_dir: Path) -> dict[str, str] | None:
    """The users' passwords by user name, or None if the file does not exist yet. A file that
    others may read is made private again before it is used."""
    path = passwords_path(data_dir)
    try:
        mode = path.stat().st_mode
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SetupError(f"The Redis users file {path} cannot be read ({exc.strerror}).") from exc
    if stat.S_IMODE(mode) & 0o077:
        os.chmod(path, 0o600)
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise SetupError(
            f"The Redis users file {path} is damaged: delete it, stop the embedded redis-server "
            f"(kill $(cat {data_dir / 'redis.pid'})) and run lcn again to create new passwords."
        )
    return value


def complete(passwords: dict[str, str] | None) -> bool:
    """Whether every lcn user has a password."""
    return passwords is not None and all(u.name in passwords for u in USERS.values())


def ensure_passwords(data_dir: Path) -> dict[str, str]:
    """Read the passwords, generating any that are missing (the caller holds the start lock)."""
    passwords = read_passwords(data_dir) or {}
    if complete(passwords):
        return passwords
    for user in USERS.values():
        passwords.setdefault(user.name, secrets.token_hex(32))
    write_private(passwords_path(data_dir), json.dumps(passwords, indent=2) + "\n")
    return passwords


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600, atomically: a reader sees the old or new file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _hash(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def user_rules(passwords: dict[str, str]) -> list[tuple[str, str]]:
    """(user name, full ACL rules) for `default` and every lcn user; each starts with `reset`,
    so applying it to an existing user replaces what it had."""
    rules = [("default", DEFAULT_USER_RULES)]
    for user in USERS.values():
        rules.append((user.name, f"reset on #{_hash(passwords[user.name])} {user.rules}"))
    return rules


def acl_text(passwords: dict[str, str]) -> str:
    return "".join(f"user {name} {rules}\n" for name, rules in user_rules(passwords))


def url_for(socket_path: Path, role: Role, passwords: dict[str, str]) -> str:
    """A `unix://` URL carrying the user's credentials, so anything handed the URL (a gateway
    worker, a benchmark's baseline) authenticates as that user."""
    from urllib.parse import quote

    name = USERS[role].name
    return f"unix://{name}:{passwords[name]}@{quote(str(socket_path))}"
