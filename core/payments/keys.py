"""Redis key names of the payments records. Every name starts with the pool's prefix (and so
carries its `{pool}` hash tag); the Lua scripts build the same names (include/money.lua)."""

from __future__ import annotations

from core.store import Store

PAYOUT_STATUSES = ("pending", "sent", "paid", "failed")
PURCHASE_STATUSES = ("open", "paid", "failed", "expired", "refunded", "mismatch")
REFUND_STATUSES = ("pending", "sent", "succeeded", "failed")


def payout(store: Store, payout_id: str) -> str:
    return f"{store.keys.prefix}payout:{payout_id}"


def purchase(store: Store, purchase_id: str) -> str:
    return f"{store.keys.prefix}purchase:{purchase_id}"


def refund(store: Store, refund_id: str) -> str:
    return f"{store.keys.prefix}refund:{refund_id}"


def index(store: Store, kind: str) -> str:
    """All records of a kind ('payouts', 'purchases', 'refunds') by creation time."""
    return f"{store.keys.prefix}{kind}"


def by_status(store: Store, kind: str, status: str) -> str:
    return f"{store.keys.prefix}{kind}:status:{status}"


def node_payouts(store: Store, node_id: str) -> str:
    return f"{store.keys.prefix}payouts:node:{node_id}"


def outbox_due(store: Store) -> str:
    return f"{store.keys.prefix}outbox:due"


def fulfil_due(store: Store) -> str:
    return f"{store.keys.prefix}purchases:fulfil"


def purchase_by_payment_intent(store: Store) -> str:
    return f"{store.keys.prefix}purchases:by-pi"


def buyer_purchases(store: Store, buyer: str) -> str:
    return f"{store.keys.prefix}purchases:buyer:{buyer}"


def entitlements(store: Store, buyer: str) -> str:
    return f"{store.keys.prefix}entitlements:{buyer}"


def payees(store: Store) -> str:
    """Nodes with a Stripe Connect account, by the time it was attached."""
    return f"{store.keys.prefix}payees"


def payee_by_account(store: Store) -> str:
    return f"{store.keys.prefix}payee-by-account"


def payee(store: Store, node_id: str) -> str:
    """What Stripe last told us about a node's connected account (account.updated)."""
    return f"{store.keys.prefix}payee:{node_id}"


def webhook_event(store: Store, event_id: str) -> str:
    return f"{store.keys.prefix}stripe:event:{event_id}"


def money(store: Store) -> str:
    return f"{store.keys.prefix}money"


def money_series(store: Store, name: str) -> str:
    return f"{store.keys.prefix}ts:money:{name}"


def payouts_held(store: Store) -> str:
    """Payouts held because Stripe refused our API key, by when they were held."""
    return f"{store.keys.prefix}payouts:held"


def stripe_key_refused(store: Store) -> str:
    """Set while Stripe refuses our API key (401/403): status, error, key_id, since, at."""
    return f"{store.keys.prefix}stripe:key_refused"


def dispute(store: Store, dispute_id: str) -> str:
    return f"{store.keys.prefix}dispute:{dispute_id}"


def reversal(store: Store, reversal_id: str) -> str:
    """One Stripe transfer reversal booked against a payout (trr_…)."""
    return f"{store.keys.prefix}reversal:{reversal_id}"


def fees_due(store: Store) -> str:
    """Purchases whose Stripe fee is still to be read from their charge, by when to look."""
    return f"{store.keys.prefix}purchases:fees"
