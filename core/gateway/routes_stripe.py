"""Stripe's side of the gateway: the signed webhook, and the pages Stripe sends people back to
after Checkout and Connect onboarding (the URLs lcn gives Stripe by default)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request

from core.errors import NotFound
from core.gateway.deps import State, StoreDep
from core.gateway.errors import error_responses
from core.models.base import WireModel
from core.payments import webhooks
from core.payments.mode import PaymentsOff
from core.payments.webhooks import WebhookResult

router = APIRouter(prefix="/stripe", tags=["payments"])

EVENT_BODY = {
    "requestBody": {
        "required": True,
        "description": "A Stripe event, exactly as Stripe sent it (the signature covers the "
        "raw bytes).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class Notice(WireModel):
    message: str


@router.post(
    "/webhook",
    response_model=WebhookResult,
    responses=error_responses(400, 404),
    openapi_extra=EVENT_BODY,
)
async def stripe_webhook(
    request: Request,
    state: State,
    store: StoreDep,
    stripe_signature: Annotated[
        str | None,
        Header(alias="Stripe-Signature", description="t=<unix seconds>,v1=<HMAC-SHA256>."),
    ] = None,
) -> WebhookResult:
    """Stripe's events. The signature (STRIPE_WEBHOOK_SECRET) and its timestamp (within 5
    minutes) are verified first; a forged, stale or malformed delivery gets 400 and changes
    nothing. An event already handled is acknowledged (`duplicate`) and dropped."""
    try:
        return await webhooks.handle(
            store, await request.body(), stripe_signature, state.settings.stripe_webhook_secret
        )
    except PaymentsOff as exc:
        # Payments off is this network's configuration, not an outage: no 5xx for it.
        raise NotFound(str(exc)) from None


@router.get("/checkout/success", response_model=Notice)
async def checkout_success() -> Notice:
    """Where Checkout sends a buyer after paying."""
    return Notice(message="Thank you: your payment is being confirmed and will appear shortly.")


@router.get("/checkout/cancel", response_model=Notice)
async def checkout_cancel() -> Notice:
    """Where Checkout sends a buyer who gave up; nothing was charged."""
    return Notice(message="The payment was cancelled; nothing was charged.")


@router.get("/onboarding/return", response_model=Notice)
async def onboarding_return() -> Notice:
    """Where Stripe sends a node operator after Connect onboarding."""
    return Notice(message="Onboarding finished: payouts go to this account once Stripe enables it.")


@router.get("/onboarding/refresh", response_model=Notice)
async def onboarding_refresh() -> Notice:
    """Where Stripe sends an operator whose onboarding link expired."""
    return Notice(message="This link expired; run `lcn payouts onboard NODE` for a new one.")
