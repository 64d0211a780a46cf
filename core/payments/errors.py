"""Stripe's errors as our refusals: one sentence each, and whether trying again may help.

Retrying is safe only because every write carries an idempotency key of ours. Worth retrying:
rate limiting (429), Stripe's own failures (5xx), conflicts while another request with the same
key is in flight (409) and network errors. Not authentication or permission errors (401/403):
Stripe refused our API key and did nothing, and the same key gets the same answer, so payouts
hold and refunds fail back (`key_refused`). Everything else is Stripe's final word.
"""

from __future__ import annotations

import stripe

from core.errors import LcnError


class StripeRefused(LcnError):
    """Stripe turned the request down for good (a 4xx other than 409/429)."""

    code = "stripe_refused"


class PaymentDeclined(StripeRefused):
    """The buyer's card or bank declined the payment."""

    code = "declined"


class StripeUnavailable(LcnError):
    """Stripe could not be reached or asked us to slow down; the same call may be retried."""

    code = "stripe_unavailable"


RETRYABLE_STATUSES = frozenset({409, 429})


def retryable(exc: stripe.StripeError) -> bool:
    if isinstance(exc, stripe.APIConnectionError):
        return True
    status = exc.http_status
    return status is None or status >= 500 or status in RETRYABLE_STATUSES


def key_refused(exc: stripe.StripeError) -> bool:
    """Stripe refused our API key itself (401: wrong, rolled or deleted; 403: a restricted key
    without the permission). Sending again with the same key cannot help."""
    return exc.http_status in (401, 403)


def balance_insufficient(exc: stripe.StripeError) -> bool:
    """Our Stripe balance has too little *available* money for this transfer: the normal state
    while card payments are still pending. Stripe saved this answer under the request's key."""
    return exc.code == "balance_insufficient"


def saved_failure(exc: stripe.StripeError) -> bool:
    """A 5xx from Stripe: the request may have begun executing, and then Stripe saved this
    error under its idempotency key and replays it for 24 hours. Whether it took effect is
    unknown until looked up (docs.stripe.com/api/idempotent_requests)."""
    status = exc.http_status
    return status is not None and status >= 500


def describe(exc: stripe.StripeError) -> str:
    """One sentence naming what went wrong, without Stripe's request id noise."""
    status = exc.http_status
    detail = " ".join(str(exc.user_message or "").split()).rstrip(".")
    if isinstance(exc, stripe.APIConnectionError):
        return "Stripe could not be reached (network error)."
    if status == 429:
        return "Stripe is rate limiting our requests (429)."
    if status == 409 and exc.code == "idempotency_key_in_use":
        return "Stripe is still executing an earlier request with this idempotency key (409)."
    if status in (401, 403):
        what = "rejected our API key" if status == 401 else "denied our API key this request"
        return f"Stripe {what} ({status}): {detail or 'no reason given'}."
    if status is not None and status >= 500:
        return f"Stripe failed on its side ({status})."
    if isinstance(exc, stripe.CardError):
        return f"The payment was declined: {detail or 'card declined'}."
    where = f" ({status})" if status else ""
    return f"Stripe refused the request{where}: {detail or 'no reason given'}."


def as_refusal(exc: stripe.StripeError) -> LcnError:
    message = describe(exc)
    if retryable(exc):
        return StripeUnavailable(message + " Nothing was done twice; try again shortly.")
    if isinstance(exc, stripe.CardError):
        return PaymentDeclined(message)
    return StripeRefused(message)
