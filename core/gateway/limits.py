"""The request body limits, enforced before any handler parses a byte: a declared
Content-Length over the size limit is refused at once, a body that streams past it is cut off,
and a complete body that is JSON in UTF-16/32, nested deeper than the depth limit, or holding
half a surrogate pair is refused (see core/json_screen.py: deep nesting can kill the process that
parses it)."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.json_screen import has_unpaired_surrogate, is_utf8_json, nested_deeper_than


class BodyLimits:
    """Pure ASGI middleware: buffer the body up to `max_bytes` (413 beyond), then refuse a body
    that is not UTF-8, nested deeper than `max_depth`, or holding half a surrogate pair (400),
    whatever its declared content type."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _refuse(send, 400, "invalid", "Content-Length is not a number.")
                    return
                if declared > self.max_bytes:
                    await self._too_large(send)
                    return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before sending its body; nothing to answer.
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not is_utf8_json(body):
            await _refuse(send, 400, "invalid", "A JSON body must be encoded in UTF-8.")
            return
        if nested_deeper_than(body, self.max_depth):
            await _refuse(
                send,
                400,
                "too_deep",
                f"The body nests arrays and objects deeper than the gateway's limit of "
                f"{self.max_depth} levels.",
            )
            return
        if has_unpaired_surrogate(body):
            await _refuse(
                send,
                400,
                "invalid",
                "A JSON string may not hold half of a UTF-16 surrogate pair.",
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await _refuse(
            send,
            413,
            "too_large",
            f"The request body is larger than the gateway's limit of {self.max_bytes} bytes.",
        )


async def _refuse(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
