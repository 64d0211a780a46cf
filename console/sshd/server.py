"""`lcn serve ssh`: the console as an SSH service. Public keys only, checked against the keys
`lcn access` granted (by SHA256 fingerprint); each session gets its own console acting as that
key with its role. Nothing else is offered: no shell, exec, subsystem, forwarding, agent or X11.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

import asyncssh

from console.sshd.config import SshSettings
from console.sshd.hostkey import load_or_create
from console.sshd.limits import Limits
from console.sshd.session import ConsoleSession
from core.access import Actor, by_fingerprint
from core.config import Settings
from core.store import Store, connect
from core.store.connection import redis_url

log = logging.getLogger("lcn.ssh")
STOP_GRACE_S = 5.0  # for the consoles to close when the server stops


class Service:
    """What every connection of one server shares: settings, limits and a Redis connection for
    sign-ins and grant checks (each console polls on its own)."""

    def __init__(self, settings: Settings, ssh: SshSettings) -> None:
        self.settings = settings
        self.ssh = ssh
        self.limits = Limits(ssh)
        self.sessions: set[ConsoleSession] = set()  # open consoles, ended when the server stops
        self._store: Store | None = None

    async def store(self) -> Store:
        if self._store is None:
            self._store = await connect(self.settings)
        return self._store

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()


class Gate(asyncssh.SSHServer):
    """One client connection: its sign-in by public key, then its console sessions."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.peer = "?"
        self.actor: Actor | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        host, *_ = conn.get_extra_info("peername") or ("?",)
        self.peer = str(host)

    def begin_auth(self, username: str) -> bool:
        if self.service.limits.blocked(self.peer):
            log.warning("turned away %s: too many refused keys lately", self.peer)
            self.conn.close()
        return True  # always authenticate, by key

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        fingerprint = str(key.get_fingerprint("sha256"))
        if self.service.limits.blocked(self.peer):
            return False
        try:
            grant = await by_fingerprint(await self.service.store(), fingerprint)
        except Exception as exc:  # Redis away: nobody signs in, and the log says why
            log.error("cannot check key %s from %s: %s", fingerprint, self.peer, exc)
            return False
        if grant is None:
            self.service.limits.failed(self.peer, fingerprint)
            return False
        self.actor = grant.actor()
        return True

    def auth_completed(self) -> None:
        if self.actor is not None:
            log.info("key %s (%s) signed in from %s", self.actor.name, self.actor.role.label,
                     self.peer)  # fmt: skip

    def session_requested(self) -> ConsoleSession | bool:
        if self.actor is None:
            return False
        return ConsoleSession(self.service, self.actor, self.peer)


async def start(
    settings: Settings, ssh: SshSettings, *, host: str, port: int, host_key: Path
) -> tuple[asyncssh.SSHAcceptor, Service]:
    """Listen on host:port; the Redis URL is resolved once (starting the embedded server if
    none is configured) so every console of this server polls the same pool."""
    url, _embedded = await asyncio.to_thread(redis_url, settings)
    settings = settings.model_copy(update={"redis_url": url})
    service = Service(settings, ssh)
    key = load_or_create(host_key)
    acceptor = await asyncssh.create_server(
        lambda: Gate(service),
        host,
        port,
        server_host_keys=[key],
        encoding="utf-8",
        line_editor=False,
        allow_pty=True,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
        login_timeout=ssh.login_timeout_s,
        keepalive_interval=30,
    )
    return acceptor, service


async def serve_forever(
    settings: Settings, ssh: SshSettings, *, host: str, port: int, host_key: Path
) -> None:
    """Serve until SIGINT or SIGTERM; then every console is closed and its client told why,
    so no terminal is left in the console's screen."""
    acceptor, service = await start(settings, ssh, host=host, port=port, host_key=host_key)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        log.info("stopping: closing %d session(s)", len(service.sessions))
        acceptor.close()
        for session in list(service.sessions):
            session.end("The server is stopping.")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_GRACE_S):
                while service.sessions:
                    await asyncio.sleep(0.05)
    finally:
        acceptor.close()
        await service.close()
