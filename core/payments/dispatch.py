"""The orchestrator's hook: send what the outbox has due, hand over paid sales whose fulfilment
did not finish, and book Stripe's fees on charges. Safe to run from several orchestrators at
once (a record is claimed by one script call) and to interrupt at any point (a claimed record is
taken again later and sent with the same idempotency key)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.payments import catalog, fees, outbox, payouts, refunds
from core.payments.client import Payments
from core.store import Store

log = logging.getLogger("lcn.payments")


async def _send(
    store: Store, payments: Payments, member: str, *, now: int, policy: outbox.OutboxPolicy
) -> bool:
    rec = await outbox.claim(store, member, now=now, policy=policy)
    if rec is None:
        return False
    if member.startswith("payout:"):
        await payouts.send(store, payments, rec, now=now, policy=policy)
    else:
        await refunds.send(store, payments, rec, now=now, policy=policy)
    return True


async def dispatch_due(
    store: Store,
    client: Payments | None,
    *,
    limit: int = 20,
    now_ms: int | None = None,
    budget_s: float | None = None,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> int:
    """Send up to `limit` due payouts and refunds; how many were sent (whatever Stripe said).
    With payments off this is a no-op. `budget_s` bounds the time spent (the orchestrator's
    tick must stay short): a call cut off is recovered like a crashed dispatcher."""
    if client is None:
        return 0
    now = now_ms or outbox.now_ms()
    sent = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(budget_s):
            await payouts.release_if_key_replaced(store, client, now=now)
            for member in await outbox.due(store, now=now, limit=limit):
                sent += await _send(store, client, member, now=now, policy=policy)
            await catalog.fulfil_due(store)
            await fees.book_due(store, client, now=now)
    return sent
