"""The outbox of Stripe writes: payout and refund records that still have to reach Stripe.

A record is `pending` (due at `next_attempt_at`), then `sent` while a dispatcher talks to
Stripe, then final. `claim` marks it sent and due again after `claim_ms`: if the dispatcher dies
— before Stripe answered or after — the next dispatcher claims it again and sends the same
idempotency key, and Stripe replays its first answer instead of moving money twice. Errors worth
retrying put it back to pending with exponential backoff (`defer`).
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass

from core.store import Store, calls


@dataclass(frozen=True)
class OutboxPolicy:
    claim_ms: int = 60_000  # a sent record is taken again after this: its dispatcher died
    backoff_base_ms: int = 2_000
    backoff_cap_ms: int = 300_000
    # Stripe forgets idempotency keys after about 24 hours; past that a recovering dispatcher
    # looks the transfer up (by its transfer_group) before sending the key again.
    replay_window_ms: int = 23 * 3600 * 1000
    # A payout waiting for Stripe's available balance (card money still pending) looks again
    # after this long; pending funds become available once a day or so.
    funds_wait_ms: int = 30 * 60 * 1000

    def retry_at(self, now: int, attempts: int) -> int:
        """Exponential backoff with ±20% jitter, so retries of many records spread out."""
        delay = min(self.backoff_cap_ms, self.backoff_base_ms * 2 ** max(0, attempts - 1))
        return now + int(delay * random.uniform(0.8, 1.2))


DEFAULT_POLICY = OutboxPolicy()


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id(prefix: str) -> str:
    """A record id: `po_…` payouts, `pu_…` purchases, `rf_…` refunds."""
    return f"{prefix}_{secrets.token_hex(8)}"


async def claim(
    store: Store, member: str, *, now: int, policy: OutboxPolicy = DEFAULT_POLICY
) -> dict[str, str] | None:
    """Take a due record for sending; None when it is not due (or another dispatcher has it)."""
    return await calls.claim_outbox(store, member, now, policy.claim_ms)


async def defer(
    store: Store, member: str, gen: str, *, now: int, retry_at: int, error: str
) -> bool:
    return await calls.defer_outbox(store, member, gen, now, retry_at, error)


async def due(store: Store, *, now: int, limit: int) -> list[str]:
    members = await store.redis.zrangebyscore(
        store.keys.outbox_due, "-inf", now, start=0, num=limit
    )
    return [m.decode() for m in members]
