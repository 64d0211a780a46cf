"""One connection to the pool's Redis, embedded or configured."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import UnixDomainSocketConnection

from core.config import Settings
from core.embedded import ensure_embedded
from core.errors import RecordArchived, SetupError
from core.store import scripts
from core.store.archive_handle import ArchiveHandle
from core.store.keys import Keys

log = logging.getLogger("lcn.store")

RESTORE_ROUNDS = 4  # archived records one script may need restored, one per round


@dataclass
class Store:
    """The Redis client, the pool's key names, and script calls bound to both."""

    redis: Any  # redis.asyncio.Redis or RedisCluster: they share the command API we use
    keys: Keys
    url: str = field(repr=False)  # the embedded server's URL carries a password
    embedded: bool
    cluster: bool = False
    data_dir: Path | None = None  # where the ledger's checkpoint key lives (core/ledger_checkpoint)
    # The archive that reads of finished jobs fall back to; opened on first use, closed with us.
    archive: ArchiveHandle | None = field(default=None, repr=False)
    _closed: bool = field(default=False, repr=False)

    @property
    def pool(self) -> str:
        return self.keys.pool

    async def script(self, name: str, keys: list[str], *args: Any) -> Any:
        """EVALSHA one script with the pool's prefix as ARGV[1]: the untyped primitive under the
        typed calls of core/store/calls, which are what the rest of the code uses.

        A script that needs a money record the archiver moved out of Redis refuses, before its
        first write, with the record's name; the record is restored from the archive and the
        script runs again (a settled refund needs its purchase too, hence a few rounds)."""
        for round_ in range(RESTORE_ROUNDS + 1):
            try:
                return await scripts.call(self.redis, name, keys, [self.keys.prefix, *args])
            except RecordArchived as exc:
                from core.store.restore import restore_archived  # it needs the typed calls

                if round_ == RESTORE_ROUNDS or not await restore_archived(self, exc.name):
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                if self.archive is not None:
                    await self.archive.close()
            finally:
                await self.redis.aclose()


def restarting_connection(settings: Settings) -> type[UnixDomainSocketConnection]:
    """Connections to the embedded server that start it again when it is gone (killed, or
    crashed): the first lcn process to connect after that restarts it, under the start lock in
    core/embedded.py, and the others find it running. Its AOF brings the data back."""

    class EmbeddedConnection(UnixDomainSocketConnection):
        async def _connect(self) -> None:
            try:
                await super()._connect()  # type: ignore[no-untyped-call]
            except OSError as exc:  # no socket file, or nobody listening on it
                log.warning("the embedded Redis is not answering (%s); starting it again", exc)
                await asyncio.to_thread(
                    ensure_embedded,
                    settings.data_dir,
                    user=settings.embedded_user,
                    maxmemory_bytes=settings.redis_maxmemory_bytes,
                )
                await super()._connect()  # type: ignore[no-untyped-call]

    return EmbeddedConnection


def redis_url(settings: Settings) -> tuple[str, bool]:
    """The URL to use and whether it is the embedded server. The embedded server's URL carries
    the credentials of the lcn user the settings name (core, reader or agent); a configured URL
    is used exactly as given."""
    if settings.redis_url:
        return settings.redis_url, False
    url = ensure_embedded(
        settings.data_dir,
        user=settings.embedded_user,
        maxmemory_bytes=settings.redis_maxmemory_bytes,
    )
    return url, True


async def connect(settings: Settings, *, load_scripts: bool = True) -> Store:
    url, embedded = await asyncio.to_thread(redis_url, settings)
    options: dict[str, Any] = {"health_check_interval": 15, "socket_connect_timeout": 3}
    if embedded:
        # The reader and agent users may not send CLIENT SETINFO (Valkey has it; Redis 6.2, the
        # PATH fallback, does not), and on a private server nobody reads the library's name.
        options.update(lib_name=None, lib_version=None)
    if settings.redis_cluster:
        if not url.startswith(("redis://", "rediss://")):
            raise SetupError("A Redis Cluster needs a redis:// or rediss:// seed URL.")
        client: Any = RedisCluster.from_url(url, socket_connect_timeout=3)
    else:
        client = aioredis.from_url(url, **options)  # type: ignore[no-untyped-call]
        if embedded:  # the URL names the plain Unix-socket class; ours also restarts the server
            client.connection_pool.connection_class = restarting_connection(settings)
    store = Store(
        client,
        Keys(settings.pool),
        url,
        embedded,
        settings.redis_cluster,
        settings.data_dir,
        ArchiveHandle(settings),
    )
    if load_scripts:
        try:
            await scripts.load_all(client)
        except Exception:
            await store.close()
            raise
    return store
