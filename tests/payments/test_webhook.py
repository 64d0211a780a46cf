"""POST /stripe/webhook: only genuine, fresh Stripe events act, each once; a forged, stale or
malformed delivery gets 400 and changes nothing."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from core import ledger
from core.config import Settings
from core.devkit.standin_api import StripeStandIn, sign
from core.gateway import GatewaySettings, create_app
from core.payments import webhooks
from core.payments.client import Payments
from core.store import Store
from tests.jobfactory import CREATOR
from tests.payments.conftest import WEBHOOK_SECRET, Webhooks, paid_checkout

CREDIT = ledger.creator_account(CREATOR)


async def paid_event(
    store: Store, payments: Payments, stand_in: StripeStandIn
) -> dict[str, object]:
    """A genuine checkout.session.completed for a credit purchase, not yet delivered."""
    await paid_checkout(store, payments, stand_in, 7_000_000)
    return next(e for e in stand_in.events if e["type"] == "checkout.session.completed")


async def snapshot(store: Store) -> tuple[dict[str, int], int]:
    """What a refused delivery must not change: the balances and the keys of the pool."""
    keys = [k async for k in store.redis.scan_iter(match=store.keys.prefix + "*")]
    return await ledger.balances(store), len(keys)


async def post(client: httpx.AsyncClient, payload: str, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.post("/stripe/webhook", content=payload, headers=headers)


async def test_refused_deliveries_get_400_and_change_nothing(
    store: Store, payments: Payments, stand_in: StripeStandIn, gateway: httpx.AsyncClient
) -> None:
    event = await paid_event(store, payments, stand_in)
    payload = json.dumps(event)
    now = int(time.time())
    before = await snapshot(store)
    forged_amount = payload.replace('"amount_total": 700', '"amount_total": 70000')
    assert forged_amount != payload
    cases = {
        "no signature": (payload, None),
        "wrong secret": (payload, sign(payload, "whsec_not_ours")),
        "tampered body": (forged_amount, sign(payload, WEBHOOK_SECRET)),
        "stale": (payload, sign(payload, WEBHOOK_SECRET, now - 3600)),
        "from the future": (payload, sign(payload, WEBHOOK_SECRET, now + 3600)),
        "garbled header": (payload, "v1=abc,t=notanumber"),
        "not JSON": ("{not json", sign("{not json", WEBHOOK_SECRET)),
        "not an event": ('{"id": "x"}', sign('{"id": "x"}', WEBHOOK_SECRET)),
        "bad event id": (
            payload.replace(str(event["id"]), "evt bad"),
            sign(payload.replace(str(event["id"]), "evt bad"), WEBHOOK_SECRET),
        ),
    }
    for name, (body, signature) in cases.items():
        response = await post(gateway, body, signature)
        assert response.status_code == 400, name
        assert response.json()["error"]["code"] == "invalid", name
    assert await snapshot(store) == before
    ok = await post(gateway, payload, sign(payload, WEBHOOK_SECRET))
    assert ok.status_code == 200 and ok.json()["outcome"] == "handled"
    assert await ledger.balance(store, CREDIT) == 7_000_000
    replay = await post(gateway, payload, sign(payload, WEBHOOK_SECRET))
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert await ledger.balance(store, CREDIT) == 7_000_000


async def test_a_replayed_event_with_a_new_id_still_credits_once(
    store: Store, payments: Payments, stand_in: StripeStandIn, hooks: Webhooks
) -> None:
    """Stripe re-sends a state as a new event (both checkout and intent events, or a resend):
    the purchase, not the event, decides."""
    event = await paid_event(store, payments, stand_in)
    first = await hooks.deliver(event)
    copy = {**event, "id": "evt_resent" + "0" * 12}
    second = await hooks.deliver(copy)
    assert first.outcome == second.outcome == "handled"
    assert second.detail == "duplicate"
    assert await ledger.balance(store, CREDIT) == 7_000_000


async def test_events_of_other_pools_and_unknown_types_are_acknowledged_and_ignored(
    store: Store, hooks: Webhooks
) -> None:
    other = {
        "id": "evt_otherpool00000",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {
            "object": {
                "id": "pi_x",
                "amount": 500,
                "amount_received": 500,
                "metadata": {"lcn_pool": "elsewhere", "lcn_purchase": "pu_x"},
            }
        },
    }
    assert (await hooks.deliver(other)).outcome == "ignored"
    unknown = {**other, "id": "evt_unknowntype000", "type": "customer.created"}
    assert (await hooks.deliver(unknown)).outcome == "ignored"
    assert await ledger.balances(store) == {}


async def test_without_a_webhook_secret_the_endpoint_says_payments_are_off(
    settings: Settings, store: Store
) -> None:
    app = create_app(settings, GatewaySettings(), store=store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://g") as c:
        response = await post(c, "{}", "t=1,v1=x")
    # Payments off is configuration, not an outage: a 4xx with the reason, never a 5xx.
    assert response.status_code == 404
    assert "webhooks are off" in response.json()["error"]["message"]
    with pytest.raises(webhooks.PaymentsOff):
        webhooks.verify(b"{}", "t=1,v1=x", None)
