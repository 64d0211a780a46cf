"""What a gateway process holds: its settings and a connection to the pool's Redis (a cache of
a connection, not state: any number of gateways can serve the same pool)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from core.config import Settings
from core.errors import SetupError
from core.gateway.config import GatewaySettings
from core.gateway.errors import Unavailable
from core.store import Store, connect

log = logging.getLogger("lcn.gateway")


@dataclass
class GatewayState:
    settings: Settings
    limits: GatewaySettings
    given_store: Store | None = None
    _store: Store | None = field(default=None, repr=False)
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    @property
    def pool(self) -> str:
        return self.settings.pool

    async def store(self) -> Store:
        """The store, connecting on first use; while Redis is down every request gets a 503
        and the next one tries again, so a gateway started before Redis recovers by itself."""
        if self.given_store is not None:
            return self.given_store
        if self._store is not None:
            return self._store
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._store is None:
                try:
                    self._store = await connect(self.settings)
                except (RedisError, OSError, SetupError) as exc:
                    log.warning("cannot reach Redis: %s", exc)
                    raise Unavailable(
                        "The network's store (Redis) is unreachable; retry shortly."
                    ) from None
            return self._store

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None
