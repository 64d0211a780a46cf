"""An HTTP client of our own for `StripeClient`: it answers like Stripe (through the in-memory
stand-in, core/devkit/standin_api.py) and records every request — method, path, form
parameters, idempotency key. Faults that only a client can see are injected here: a network
error (before or after Stripe acted) and a crash of our process right after Stripe answered."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import stripe

from core.devkit.standin_api import Stalled, StripeStandIn, decode_form


class Crash(BaseException):
    """Our process dies: not an Exception, so nothing of ours catches it."""


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int | None  # None: no answer reached us


@dataclass
class _Trap:
    path_prefix: str
    kind: str  # "network" | "network-after" | "crash-after"


@dataclass
class RecordingHTTPClient(stripe.HTTPClient):  # type: ignore[misc]
    stand_in: StripeStandIn
    seen: list[Seen] = field(default_factory=list)
    traps: list[_Trap] = field(default_factory=list)
    name = "lcn-test"

    def __post_init__(self) -> None:
        super().__init__()

    def trap(self, path_prefix: str, kind: str, times: int = 1) -> None:
        self.traps.extend(_Trap(path_prefix, kind) for _ in range(times))

    def _take_trap(self, path: str) -> _Trap | None:
        for trap in self.traps:
            if path.startswith(trap.path_prefix):
                self.traps.remove(trap)
                return trap
        return None

    def _exchange(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> tuple[bytes, int, dict[str, str]]:
        parts = urlsplit(url)
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        key = {k.lower(): v for k, v in headers.items()}.get("idempotency-key")
        params = decode_form(parts.query if method.upper() in ("GET", "DELETE") else body)
        seen = Seen(method.upper(), parts.path, params, key, None)
        self.seen.append(seen)
        trap = self._take_trap(parts.path)
        if trap is not None and trap.kind == "network":
            raise stripe.APIConnectionError("connection reset (test)", should_retry=True)
        try:
            status, reply, reply_headers = self.stand_in.handle(
                method, parts.path, parts.query, body, dict(headers)
            )
        except Stalled:  # Stripe is still executing it: our client times out
            raise stripe.APIConnectionError("request timed out (test)", should_retry=True) from None
        if trap is not None and trap.kind == "network-after":
            raise stripe.APIConnectionError("connection reset (test)", should_retry=True)
        if trap is not None and trap.kind == "crash-after":
            raise Crash(f"died after Stripe answered {method} {parts.path}")
        seen.status = status
        return json.dumps(reply).encode(), status, reply_headers

    def request(  # type: ignore[override]
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, dict[str, str]]:
        return self._exchange(method, url, headers, post_data)

    async def request_async(  # type: ignore[override]
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, dict[str, str]]:
        await asyncio.sleep(0)
        return self._exchange(method, url, headers, post_data)

    async def sleep_async(self, secs: float) -> None:  # type: ignore[override]
        await asyncio.sleep(0)

    def close(self) -> None:
        pass

    async def close_async(self) -> None:
        pass

    def writes(self, path: str) -> list[Seen]:
        """The POSTs to `path`, in order."""
        return [s for s in self.seen if s.method == "POST" and s.path == path]
