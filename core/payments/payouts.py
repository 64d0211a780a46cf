"""Payouts: a node's available earnings, moved to its Stripe Connect account with a Transfer.

`reserve` takes the node's whole-cent balance into the `payouts` holding account in one script,
so a payout never exceeds what the node has earned and earnings that arrive meanwhile wait for
the next one; it refuses while the last recorded ledger check found money it cannot prove.
`send` makes the Transfer with an idempotency key derived from the payout's id and generation,
then settles: paid (holding → world) or failed (holding → node). `run` checks the books first.
"""

from __future__ import annotations

import logging

import stripe

from core import ledger
from core.errors import InvalidInput, LcnError
from core.payments import keys, outbox
from core.payments.cents import MICRO_PER_CENT, to_cents
from core.payments.client import Payments, as_dict, idempotency_key, require
from core.payments.errors import describe, retryable
from core.payments.records import Payout, get_payout
from core.store import Store

log = logging.getLogger("lcn.payments")

MIN_PAYOUT_MICRO = MICRO_PER_CENT


async def reserve(
    store: Store,
    node_id: str,
    *,
    min_micro: int = MIN_PAYOUT_MICRO,
    max_micro: int | None = None,
    now: int | None = None,
) -> str | None:
    """Create a pending payout of the node's available whole cents; None when there is less
    than `min_micro` to pay."""
    if min_micro < 0 or (max_micro is not None and max_micro < 0):
        raise InvalidInput("Payout limits cannot be negative.")
    payout_id = outbox.new_id("po")
    reply = await store.script(
        "reserve_payout",
        [store.keys.node(node_id)],
        payout_id,
        now or outbox.now_ms(),
        min_micro,
        "" if max_micro is None else max_micro,
    )
    return payout_id if reply["created"] else None


async def settle(
    store: Store, payout_id: str, gen: str, outcome: str, *, transfer: str, error: str, now: int
) -> str:
    reply = await store.script(
        "settle_payout", [keys.payout(store, payout_id)], gen, outcome, transfer, error, now
    )
    return str(reply["status"])


async def _find_transfer(payments: Payments, group: str) -> dict[str, object] | None:
    found = await payments.stripe.v1.transfers.list_async({"transfer_group": group, "limit": 3})
    for transfer in found.data:
        return as_dict(transfer)
    return None


async def send(
    store: Store,
    payments: Payments,
    rec: dict[str, str],
    *,
    now: int,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> str:
    """Make the claimed payout's Transfer and record Stripe's answer; the new status."""
    payout_id, gen = rec["id"], rec["gen"]
    member = f"payout:{payout_id}"
    key = idempotency_key(store.pool, "payout", payout_id, gen)
    try:
        first_sent = int(rec.get("first_sent_at") or now)
        if rec.get("recovering") == "1" and now - first_sent > policy.replay_window_ms:
            found = await _find_transfer(payments, key)
            if found is not None:
                return await settle(
                    store, payout_id, gen, "paid", transfer=str(found["id"]), error="", now=now
                )
        transfer = await payments.stripe.v1.transfers.create_async(
            {
                "amount": to_cents(int(rec["amount"])),
                "currency": "usd",
                "destination": rec["account"],
                "transfer_group": key,
                "description": f"lcn payout {payout_id} to node {rec['node']}",
                "metadata": {
                    "lcn_pool": store.pool,
                    "lcn_payout": payout_id,
                    "lcn_gen": gen,
                    "lcn_node": rec["node"],
                },
            },
            {"idempotency_key": key},
        )
    except stripe.StripeError as exc:
        message = describe(exc)
        if retryable(exc):
            attempts = int(rec.get("attempts") or 1)
            log.warning("payout %s: %s retrying (attempt %d)", payout_id, message, attempts)
            await outbox.defer(
                store, member, gen, now=now, retry_at=policy.retry_at(now, attempts), error=message
            )
            return "pending"
        log.warning("payout %s failed: %s", payout_id, message)
        return await settle(store, payout_id, gen, "failed", transfer="", error=message, now=now)
    return await settle(store, payout_id, gen, "paid", transfer=transfer.id, error="", now=now)


async def send_now(
    store: Store,
    payments: Payments,
    payout_id: str,
    *,
    now: int | None = None,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> Payout:
    """Claim and send one payout at once (an operator asked for it); its record after."""
    at = now or outbox.now_ms()
    rec = await outbox.claim(store, f"payout:{payout_id}", now=at, policy=policy)
    if rec is not None:
        await send(store, payments, rec, now=at, policy=policy)
    return await get_payout(store, payout_id)


async def payee_ids(store: Store, *, chunk: int = 1000) -> list[str]:
    """Every node with a Stripe account (an index of those only, never a scan of all nodes)."""
    found: list[str] = []
    cursor = 0
    while True:
        cursor, members = await store.redis.zscan(keys.payees(store), cursor, count=chunk)
        found.extend(m.decode() for m, _ in members)
        if cursor == 0:
            return found


async def run(
    store: Store,
    payments: Payments | None,
    node_id: str | None = None,
    *,
    min_micro: int = MIN_PAYOUT_MICRO,
    now: int | None = None,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> list[Payout]:
    """Pay out one node (or every onboarded node) now: reserve, then send each payout. The
    books are checked first: nothing is paid while they hold money the ledger check cannot
    prove (core/ledger.py `require_payable`)."""
    client = require(payments)
    await ledger.require_payable(store)
    at = now or outbox.now_ms()
    created: list[str] = []
    if node_id:
        payout_id = await reserve(store, node_id, min_micro=min_micro, now=at)
        created += [payout_id] if payout_id else []
    else:
        for nid in await payee_ids(store):
            try:
                payout_id = await reserve(store, nid, min_micro=min_micro, now=at)
            except LcnError as exc:  # one node's problem must not stop the others' payouts
                log.warning("no payout for node %s: %s", nid, exc)
                continue
            created += [payout_id] if payout_id else []
    return [await send_now(store, client, pid, now=at, policy=policy) for pid in created]


async def retry(
    store: Store,
    payments: Payments | None,
    payout_id: str,
    *,
    now: int | None = None,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> Payout:
    """Send a pending payout now, or a failed one again (reserved anew, new generation); not
    while the ledger check fails."""
    client = require(payments)
    await ledger.require_payable(store)
    at = now or outbox.now_ms()
    await store.script("retry_payout", [keys.payout(store, payout_id)], at)
    return await send_now(store, client, payout_id, now=at, policy=policy)
