"""Every refusal as `{"error": {"code": …, "message": …}}` with one sentence, and the status
code a client can act on. Nothing the gateway answers carries a traceback: an unexpected
failure is logged here and answered with a generic message."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from redis.exceptions import OutOfMemoryError, RedisError, ResponseError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    AuthError,
    Conflict,
    Corrupt,
    InvalidInput,
    LcnError,
    NotFound,
    RecordArchived,
    SetupError,
)
from core.wire.errors import ErrorBody, describe_validation

log = logging.getLogger("lcn.gateway")


class Forbidden(AuthError):
    """Authenticated, but not allowed to act on this resource (another node's, say)."""

    code = "forbidden"


class RateLimited(LcnError):
    code = "rate_limited"

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Unavailable(LcnError):
    """The store cannot be reached; the request changed nothing and may be retried."""

    code = "unavailable"


def status_for(exc: LcnError) -> int:
    for kind, status in (
        (RateLimited, 429),
        (Unavailable, 503),
        (SetupError, 503),
        (RecordArchived, 503),  # the archive cannot be read now: the request may be retried
        (Corrupt, 500),
        (Forbidden, 403),
        (AuthError, 401),
        (NotFound, 404),
        (Conflict, 409),
        (InvalidInput, 400),
    ):
        if isinstance(exc, kind):
            return status
    return 400


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody.of(code, message).wire()
    return JSONResponse(body, status_code=status, headers=headers)


def refusal(exc: LcnError) -> JSONResponse:
    """The error body and status of a refusal (with Retry-After when rate-limited)."""
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return error_response(status_for(exc), exc.code, str(exc), headers)


_HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the error body."""

    @app.exception_handler(LcnError)
    async def refused(_: Request, exc: LcnError) -> JSONResponse:
        return refusal(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid", describe_validation(list(exc.errors())))

    @app.exception_handler(ValidationError)
    async def invalid_model(_: Request, exc: ValidationError) -> JSONResponse:
        return error_response(422, "invalid", describe_validation(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        headers = dict(exc.headers or {})
        if status == 404 and exc.detail == "Not Found":
            message = "There is no such endpoint; see /openapi.json."
        elif status == 405:
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            message = f"This endpoint accepts {', '.join(allowed)} only."
        else:
            message = str(exc.detail)
        code = _HTTP_CODES.get(status, "refused" if status < 500 else "internal")
        return error_response(status, code, message, headers)

    @app.exception_handler(RedisError)
    async def redis_failed(request: Request, exc: RedisError) -> JSONResponse:
        if isinstance(exc, OutOfMemoryError):
            return store_full()
        if isinstance(exc, ResponseError) and "READONLY" not in str(exc):
            # A script failing in a way it does not declare is a bug, not an outage.
            log.exception("Redis refused %s %s", request.method, request.url.path)
            return error_response(500, "internal", "The gateway failed unexpectedly.")
        return unavailable()

    @app.exception_handler(OSError)
    async def os_failed(_: Request, exc: OSError) -> JSONResponse:
        return unavailable()

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("Unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal", "The gateway failed unexpectedly.")


def allowed_methods(request: Request) -> list[str]:
    """The methods the API documents for this path, as OpenAPI resolves it: the most specific
    path template wins (/nodes/sessions over /nodes/{node_id}). Starlette's own 405 names the
    methods of whichever route matched first."""
    app = request.app
    templates: list[tuple[int, re.Pattern[str], set[str]]] | None = getattr(
        app.state, "path_templates", None
    )
    if templates is None:
        templates = []
        for path, operations in app.openapi().get("paths", {}).items():
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
            methods = {m.upper() for m in operations}
            templates.append((path.count("{"), re.compile(pattern), methods))
        app.state.path_templates = templates
    path = request.url.path
    matching = [(params, methods) for params, p, methods in templates if p.fullmatch(path)]
    if not matching:
        return []
    fewest = min(params for params, _ in matching)
    return sorted({m for params, methods in matching if params == fewest for m in methods})


def unavailable() -> JSONResponse:
    return error_response(
        503,
        Unavailable.code,
        "The network's store (Redis) is unreachable; retry shortly.",
        {"Retry-After": "1"},
    )


def store_full() -> JSONResponse:
    """Redis refused a write for memory (maxmemory with noeviction): nothing was written, and
    the request may succeed once jobs finish and are archived or the limit is raised."""
    return error_response(
        503,
        Unavailable.code,
        "The network's store (Redis) is out of memory and refuses new writes; retry later "
        "(the operator can raise LCN_REDIS_MAXMEMORY).",
        {"Retry-After": "5"},
    )


# Documented on every route so that clients (and schemathesis) know the error shape.
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "The request is not valid for the network's current rules, or its body is "
        "nested too deeply or not UTF-8.",
        401: "Missing, unknown, expired or forged credentials.",
        403: "The credentials may not act on this resource.",
        404: "No such node, job or agent.",
        409: "The current state does not allow it (stale lease, used challenge).",
        413: "The request body is larger than the gateway accepts.",
        422: "The request does not match the schema.",
        429: "Too many requests from this identity; see Retry-After.",
        503: "The network's store is unreachable or out of memory; retry.",
    }
    return {
        status: {"model": ErrorBody, "description": described[status]}
        for status in sorted({*statuses, 400, 413, 422, 429, 503})
    }
