"""What the network sells besides compute credit, and how each item is handed over.

Each item has a fulfilment hook, run once per paid purchase: the first delivery stored wins
(fulfil_purchase.lua), so a redelivered webhook or a second dispatcher cannot hand over twice.
To sell something new, add a `CatalogItem` with its hook to CATALOG.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidInput, NotFound
from core.ids import check_cid
from core.models.base import WireModel
from core.models.records.purchase import PurchaseRecord
from core.money import micro_to_json
from core.payments import keys, pkp
from core.payments.outbox import now_ms
from core.payments.records import Purchase, get_purchase
from core.store import Store


@dataclass(frozen=True)
class Delivery:
    """What the buyer gets (stored on the purchase) and the entitlement it grants, if any."""

    handed_over: dict[str, Any]
    entitlement: str = ""


Hook = Callable[[Store, PurchaseRecord], Awaitable[Delivery]]


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    description: str
    price_micro: int
    fulfil: Hook = field(repr=False)
    # Checks the item's reference (which asset, which job) at purchase time; None: no reference.
    check_ref: Callable[[str], str] | None = field(default=None, repr=False)


class CatalogEntry(WireModel):
    sku: str
    name: str
    description: str
    price: float
    price_micro_usd: int
    needs_ref: bool


ASSET_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


async def _fulfil_pkp(_: Store, purchase: PurchaseRecord) -> Delivery:
    password = purchase.secret
    if not password:
        raise InvalidInput(
            f"Purchase {purchase.purchase_id} has no keystore password to encrypt with."
        )
    provisioned = await pkp.provision(password)
    return Delivery(provisioned, entitlement=f"pkp:{provisioned['address'].lower()}")


async def _fulfil_asset(_: Store, purchase: PurchaseRecord) -> Delivery:
    asset = purchase.ref
    token = secrets.token_urlsafe(24)
    return Delivery({"asset": asset, "downloadToken": token}, entitlement=f"asset:{asset}")


async def _fulfil_logs(_: Store, purchase: PurchaseRecord) -> Delivery:
    job_id = purchase.ref
    return Delivery({"job": job_id}, entitlement=f"logs:{job_id}")


def _asset_ref(ref: str) -> str:
    if not ASSET_RE.fullmatch(ref):
        raise InvalidInput("An asset name is 1-64 lowercase letters, digits, '.', '_' or '-'.")
    return ref


def _job_ref(ref: str) -> str:
    check_cid(ref, what="job id")
    return ref


CATALOG: dict[str, CatalogItem] = {
    item.sku: item
    for item in (
        CatalogItem(
            "pkp",
            "PKP key pair",
            "A new network identity (secp256k1 key pair) as an encrypted keystore.",
            5_000_000,
            _fulfil_pkp,
        ),
        CatalogItem(
            "vr-asset",
            "VR marketplace asset",
            "A licence and download token for one asset of the VR marketplace.",
            2_500_000,
            _fulfil_asset,
            _asset_ref,
        ),
        CatalogItem(
            "job-logs",
            "Job logs access",
            "Read access to the full logs of one job.",
            500_000,
            _fulfil_logs,
            _job_ref,
        ),
    )
}


def item(sku: str) -> CatalogItem:
    try:
        return CATALOG[sku]
    except KeyError:
        raise NotFound(f"No catalog item {sku!r}; sold are {', '.join(sorted(CATALOG))}.") from None


def entries() -> list[CatalogEntry]:
    return [
        CatalogEntry(
            sku=i.sku,
            name=i.name,
            description=i.description,
            price=micro_to_json(i.price_micro),
            price_micro_usd=i.price_micro,
            needs_ref=i.check_ref is not None,
        )
        for i in CATALOG.values()
    ]


async def fulfil(store: Store, purchase_id: str) -> Purchase:
    """Run the item's hook for a paid sale and store its delivery, once."""
    raw = await store.redis.hgetall(keys.purchase(store, purchase_id))
    if not raw:
        raise NotFound(f"No purchase {purchase_id} in pool {store.pool}.")
    purchase = PurchaseRecord.from_hash(raw)
    if purchase.fulfilment == "due":
        delivery = await item(purchase.sku).fulfil(store, purchase)
        await store.script(
            "fulfil_purchase",
            [keys.purchase(store, purchase_id)],
            json.dumps(delivery.handed_over, separators=(",", ":")),
            delivery.entitlement,
            now_ms(),
        )
    return await get_purchase(store, purchase_id)


async def fulfil_due(store: Store, *, limit: int = 20) -> int:
    """Sales paid but not yet handed over (a hook failed, or its process died): try again."""
    ids = [m.decode() for m in await store.redis.zrange(keys.fulfil_due(store), 0, limit - 1)]
    for purchase_id in ids:
        await fulfil(store, purchase_id)
    return len(ids)


async def entitled(store: Store, buyer: str, entitlement: str) -> bool:
    """Has `buyer` bought `entitlement` (e.g. 'logs:<job id>', 'asset:<name>')?"""
    return bool(await store.redis.hexists(keys.entitlements(store, buyer.lower()), entitlement))
