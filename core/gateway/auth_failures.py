"""Refused credentials count against the client's address (see ratelimit.py), wherever they are
refused: a bad API key, session token or request signature, a forged sign-in or registration.
One exception handler sees them all, so no endpoint can forget to count."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from core.errors import AuthError
from core.gateway.client_address import client_address
from core.gateway.errors import Forbidden, RateLimited, Unavailable, refusal
from core.gateway.ratelimit import count_failure
from core.gateway.state import GatewayState


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def refused_credentials(request: Request, exc: AuthError) -> JSONResponse:
        if isinstance(exc, Forbidden):
            return refusal(exc)  # the caller did authenticate
        state: GatewayState = request.app.state.gateway
        try:
            store = await state.store()
            client = client_address(request, state.limits.trusted_proxies)
            await count_failure(store, state.limits, client)
        except RateLimited as limited:
            return refusal(limited)
        except (Unavailable, RedisError, OSError):
            pass  # the refusal stands even when it cannot be counted
        return refusal(exc)
