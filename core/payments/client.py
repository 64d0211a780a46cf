"""The network's connection to Stripe: one `StripeClient`, configured from Settings.

`STRIPE_API_BASE` points every Stripe address at another server (the local stand-in,
core/devkit/standin.py); tests give an HTTP client of their own instead. The library's own
network retries are off (`max_network_retries=0`): retrying is the payout outbox's job, with
backoff and the same idempotency key, so what happened is visible in Redis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import stripe
from stripe import HTTPClient, StripeClient

from core.config import Settings
from core.payments import mode
from core.payments.errors import as_refusal

if TYPE_CHECKING:
    from core.store import Store

HTTP_TIMEOUT_S = 20.0
T = TypeVar("T")


@dataclass
class Payments:
    """A Stripe client plus what the webhook and the console need to know about it."""

    stripe: StripeClient
    http: HTTPClient
    webhook_secret: str | None
    public_key: str | None
    api_base: str
    test_mode: bool
    key_id: str = ""  # a short digest naming which secret key this is, never the key itself
    _owns_http: bool = True

    @classmethod
    def from_settings(
        cls, settings: Settings, *, http_client: HTTPClient | None = None
    ) -> Payments | None:
        """None when payments are off (no secret key)."""
        if not mode.enabled(settings):
            return None
        key = settings.stripe_secret_key or ""
        base = (settings.stripe_api_base or stripe.DEFAULT_API_BASE).rstrip("/")
        http = http_client or stripe.HTTPXClient(timeout=HTTP_TIMEOUT_S)
        client = StripeClient(
            key,
            base_addresses={"api": base, "connect": base, "files": base},
            http_client=http,
            max_network_retries=0,
        )
        return cls(
            stripe=client,
            http=http,
            webhook_secret=settings.stripe_webhook_secret,
            public_key=settings.stripe_public_key,
            api_base=base,
            test_mode=not key.startswith(("sk_live_", "rk_live_")),
            key_id=key_digest(key),
            _owns_http=http_client is None,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.close_async()  # type: ignore[no-untyped-call]


def key_digest(key: str) -> str:
    """Twelve hex digits of the key's SHA-256: enough to tell a replaced key from the one
    Stripe refused, and nothing that helps anyone use it."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def require(payments: Payments | None) -> Payments:
    """The client, or the one-sentence refusal that payments are off."""
    if payments is None:
        raise mode.PaymentsOff()
    return payments


def as_dict(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain data (StripeObject is not a dict)."""
    if isinstance(obj, dict):
        return obj
    data: dict[str, Any] = obj.to_dict()
    return data


async def call(request: Awaitable[Any]) -> dict[str, Any]:
    """Await one Stripe request for an operator or a buyer: its answer as plain data, or one
    of our refusals (StripeUnavailable, PaymentDeclined, StripeRefused)."""
    try:
        return as_dict(await request)
    except stripe.StripeError as exc:
        raise as_refusal(exc) from None


def idempotency_key(store_pool: str, kind: str, record_id: str, gen: int | str = 1) -> str:
    """The key of a Stripe write, derived from our record: the same record and generation always
    send the same key, so Stripe performs the write at most once."""
    return f"lcn-{store_pool}-{kind}-{record_id}-{gen}"


async def with_payments(
    settings: Settings, store: Store, work: Callable[[Store, Payments | None], Awaitable[T]]
) -> T:
    """Run `work` with the store and a Stripe client made for it (None when payments are off),
    closed afterwards: the one way the CLI and the console lend a client to an action."""
    payments = Payments.from_settings(settings)
    try:
        return await work(store, payments)
    finally:
        if payments is not None:
            await payments.aclose()
