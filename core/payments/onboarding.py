"""Stripe Connect onboarding of node operators: an Express account per node (its id stored on
the node) and a single-use account link to Stripe's hosted onboarding form.

A node outside the platform's country (the US) is onboarded under the `recipient` service
agreement: Stripe sends cross-border transfers only to such accounts
(docs.stripe.com/connect/service-agreement-types). What Stripe says about an account — above all
whether its `transfers` capability is active, which payouts require — is kept per node from
`account.updated` and from the account itself whenever a node is onboarded again."""

from __future__ import annotations

import time

from core import registry
from core.errors import InvalidInput
from core.models.base import WireModel
from core.payments.client import Payments, call, idempotency_key, require
from core.store import Store, calls

DEFAULT_RETURN_URL = "http://127.0.0.1:8080/stripe/onboarding/return"
DEFAULT_REFRESH_URL = "http://127.0.0.1:8080/stripe/onboarding/refresh"
PLATFORM_COUNTRY = "US"


class Onboarding(WireModel):
    node_id: str
    account_id: str
    created_account: bool
    url: str
    expires_at: int | None

    def __str__(self) -> str:
        made = "created" if self.created_account else "existing"
        return f"{made} account {self.account_id}; onboarding link issued"


async def onboard(
    store: Store,
    payments: Payments | None,
    node_id: str,
    *,
    country: str = "US",
    email: str | None = None,
    return_url: str = DEFAULT_RETURN_URL,
    refresh_url: str = DEFAULT_REFRESH_URL,
) -> Onboarding:
    """Create the node's Express account (once) and a fresh onboarding link for it; for an
    existing account, first refresh what Stripe says about it."""
    client = require(payments)
    country = country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise InvalidInput(f"A country is a two-letter code such as US or DE, not {country!r}.")
    node = await registry.get_node(store, node_id)
    account_id = node.stripe_account
    created = account_id is None
    if account_id is not None:
        await record_account(
            store, node_id, await call(client.stripe.v1.accounts.retrieve_async(account_id))
        )
    else:
        params: dict[str, object] = {
            "type": "express",
            "country": country,
            "capabilities": {"transfers": {"requested": True}},
            "business_profile": {"product_description": "Compute node on the Lit Compute Network"},
            "metadata": {"lcn_pool": store.pool, "lcn_node": node_id},
        }
        if country != PLATFORM_COUNTRY:
            params["tos_acceptance"] = {"service_agreement": "recipient"}
        if email:
            params["email"] = email
        account = await call(
            client.stripe.v1.accounts.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key(store.pool, "account", node_id)},
            )
        )
        account_id = str(account["id"])
        await calls.attach_payee(store, node_id, account_id, _now())
        await record_account(store, node_id, account)
    link = await call(
        client.stripe.v1.account_links.create_async(
            {
                "account": account_id,
                "type": "account_onboarding",
                "return_url": return_url,
                "refresh_url": refresh_url,
            }
        )
    )
    return Onboarding(
        node_id=node_id,
        account_id=account_id,
        created_account=created,
        url=str(link["url"]),
        expires_at=link.get("expires_at"),
    )


async def account_updated(store: Store, account: dict[str, object]) -> str | None:
    """Remember what Stripe says about a connected account (from account.updated); the node."""
    account_id = str(account.get("id", ""))
    raw = await store.redis.hget(store.keys.payee_by_account, account_id)
    if raw is None:
        return None
    node_id: str = raw.decode()
    await record_account(store, node_id, account)
    return node_id


async def record_account(store: Store, node_id: str, account: dict[str, object]) -> None:
    """Keep a connected account's state on the node's payee record; payouts read `transfers`
    (the transfers capability: active, inactive, pending or unknown)."""
    capabilities = account.get("capabilities")
    transfers = capabilities.get("transfers") if isinstance(capabilities, dict) else None
    if isinstance(transfers, dict):  # an expanded capability object
        transfers = transfers.get("status")
    tos = account.get("tos_acceptance")
    agreement = tos.get("service_agreement") if isinstance(tos, dict) else None
    await store.redis.hset(
        store.keys.payee(node_id),
        mapping={
            "account": str(account.get("id", "")),
            "country": str(account.get("country") or ""),
            "service_agreement": str(agreement or "full"),
            "transfers": str(transfers or "unknown"),
            "details_submitted": int(bool(account.get("details_submitted"))),
            "charges_enabled": int(bool(account.get("charges_enabled"))),
            "payouts_enabled": int(bool(account.get("payouts_enabled"))),
            "updated_at": _now(),
        },
    )


def _now() -> int:
    return int(time.time() * 1000)
