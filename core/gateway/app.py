"""The gateway application: routers, error handlers and the body limits around one shared
`GatewayState`. To add endpoints (the payments webhook, say), write `routes_<name>.py` with an
`APIRouter` called `router` and add the module to ROUTERS."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from core.config import Settings
from core.gateway import (
    auth_failures,
    errors,
    routes_metrics,
    routes_node,
    routes_public,
    routes_stripe,
)
from core.gateway.config import GatewaySettings
from core.gateway.errors import Unavailable
from core.gateway.limits import BodyLimits
from core.gateway.state import GatewayState
from core.store import Store

ROUTERS = (routes_public, routes_node, routes_metrics, routes_stripe)

DESCRIPTION = """The Lit Compute Network's HTTP API.

* Job submitters authenticate with an API key (`Authorization: Bearer lcn_…`, from
  `lcn apikey create NAME`) or a PKP-signed request (X-LCN-Address, X-LCN-Timestamp,
  X-LCN-Signature; see core/gateway/signed_requests.py).
* Nodes register by challenge–response, then sign in (`/lit-compute/nodes/sessions`) for a
  short-lived session token that acts for their own node only.
* Every error is `{"error": {"code": …, "message": …}}` with one sentence.
"""


def create_app(
    settings: Settings | None = None,
    limits: GatewaySettings | None = None,
    *,
    store: Store | None = None,
) -> FastAPI:
    """A gateway for `settings.pool`. With `store` given (tests, embedding), the app uses it and
    leaves closing it to the caller; otherwise it connects on startup (or on first request, if
    Redis is down at startup) and closes on shutdown."""
    state = GatewayState(
        settings=settings or Settings(), limits=limits or GatewaySettings(), given_store=store
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with contextlib.suppress(Unavailable):
            await state.store()
        try:
            yield
        finally:
            await state.close()

    app = FastAPI(
        title="Lit Compute Network gateway",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.gateway = state
    errors.install(app)
    auth_failures.install(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(
        BodyLimits, max_bytes=state.limits.max_body_bytes, max_depth=state.limits.max_json_depth
    )
    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory (`core.gateway.app:app_from_env`): settings from LCN_* variables."""
    return create_app()
