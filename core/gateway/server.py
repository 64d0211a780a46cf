"""Serving the gateway with uvicorn: `lcn gateway` and `python -m core.gateway`.

The Redis URL is resolved once here (starting the embedded server if none is configured) and
handed to the workers through the environment, so `--workers N` processes, and any other
gateway started the same way, serve the same pool side by side.
"""

from __future__ import annotations

import os

import uvicorn

from core.config import Settings
from core.store.connection import redis_url

APP_FACTORY = "core.gateway.app:app_from_env"


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    workers: int = 1,
    log_level: str = "info",
) -> None:
    """Run the gateway until interrupted (SIGINT/SIGTERM finish in-flight requests first)."""
    url, _embedded = redis_url(settings)
    os.environ["LCN_REDIS_URL"] = url
    os.environ["LCN_POOL"] = settings.pool
    if settings.redis_cluster:
        os.environ["LCN_REDIS_CLUSTER"] = "true"
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        server_header=False,
        # The app reads X-Forwarded-For itself, from the proxies the operator names
        # (LCN_GATEWAY_TRUSTED_PROXIES); uvicorn's handling would trust loopback by default.
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )
