"""Payouts: a node's available earnings, moved to its Stripe Connect account with a Transfer.

`reserve` takes the node's whole-cent balance into the `payouts` holding account in one script,
so a payout never exceeds what the node has earned and earnings that arrive meanwhile wait for
the next one; it refuses while the last recorded ledger check found money it cannot prove.
`send` makes the Transfer and settles: paid (holding → world) or failed (holding → node).
`run` checks the books first.

Stripe's answers, as Stripe documents them (docs.stripe.com/api/idempotent_requests, /error-codes):
* `balance_insufficient`: our *available* balance is short, the normal state while card money is
  pending. The payout waits (pending, `funds_wait_ms`), and because Stripe saved that answer
  under the key, the next attempt uses the next key.
* 5xx: Stripe may have begun and saved the error under the key (replayed for 24 h). The next
  attempt first looks the transfer up by its `transfer_group`, then sends under the next key.
* A network error, 429, 409 `idempotency_key_in_use`: nothing is saved (or the first request is
  still running): the next attempt replays the same key, so a transfer is made at most once.
* 401/403: Stripe refuses our API key. The payout is held (no retry) and the pool records the
  refusal for the console's triage; held payouts go again once the key is replaced
  (`release_if_key_replaced`) or an operator retries one.
* Any other 4xx is Stripe's final word: failed, the amount back to the node.
A transfer is only sent to an account whose `transfers` capability is active.
"""

from __future__ import annotations

import logging

import stripe

from core import ledger
from core.errors import InvalidInput, LcnError
from core.models.records.fields import RawHash
from core.models.records.payout import PayoutRecord
from core.payments import keys, onboarding, outbox
from core.payments.cents import MICRO_PER_CENT, to_cents
from core.payments.client import Payments, as_dict, idempotency_key, require
from core.payments.errors import (
    balance_insufficient,
    describe,
    key_refused,
    retryable,
    saved_failure,
)
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


def transfer_group(pool: str, payout_id: str, gen: int | str) -> str:
    """What a transfer pays for: one generation of one payout (one ledger reservation)."""
    return f"lcn-{pool}-payout-{payout_id}-{gen}"


def payout_key(pool: str, payout_id: str, gen: int | str, key_n: int | str) -> str:
    """The idempotency key of a payout's `key_n`-th request: a new key only when Stripe saved
    an answer under the last one."""
    return idempotency_key(pool, "payout", payout_id, f"{gen}-{key_n}")


async def _find_transfer(
    payments: Payments, group: str, payout_id: str
) -> dict[str, object] | None:
    found = await payments.stripe.v1.transfers.list_async({"transfer_group": group, "limit": 10})
    for transfer in found.data:
        data = as_dict(transfer)
        metadata = data.get("metadata") or {}
        if isinstance(metadata, dict) and metadata.get("lcn_payout") == payout_id:
            return data
    return None


async def _defer(
    store: Store,
    payout_id: str,
    gen: str,
    *,
    now: int,
    retry_at: int,
    error: str,
    new_key: bool = False,
    check_first: bool = False,
) -> str:
    await store.script(
        "defer_payout",
        [keys.payout(store, payout_id)],
        gen,
        now,
        retry_at,
        error,
        "1" if new_key else "0",
        "1" if check_first else "0",
    )
    return "pending"


async def _hold(
    store: Store, payments: Payments, payout_id: str, gen: str, status: int, error: str, now: int
) -> str:
    await store.script(
        "hold_payout", [keys.payout(store, payout_id)], gen, now, status, error, payments.key_id
    )
    return "pending"


async def key_refusal(store: Store) -> dict[str, str]:
    """Stripe's refusal of our API key, while it stands (empty when there is none)."""
    raw = await store.redis.hgetall(keys.stripe_key_refused(store))
    return {k.decode(): v.decode() for k, v in raw.items()}


async def release_held(store: Store, *, now: int | None = None) -> int:
    """Clear the key refusal and make every held payout due now; how many were held."""
    released = await store.script(
        "release_held_payouts", [keys.payouts_held(store)], now or outbox.now_ms()
    )
    return int(released)


async def release_if_key_replaced(store: Store, payments: Payments, *, now: int) -> int:
    """Held payouts go again once the process runs with another key than the one Stripe
    refused (the refused key itself is never tried again on its own)."""
    refusal = await key_refusal(store)
    if not refusal or refusal.get("key_id") == payments.key_id:
        return 0
    log.warning("Stripe key replaced: releasing payouts held since %s", refusal.get("since"))
    return await release_held(store, now=now)


async def _transfers_state(store: Store, node_id: str) -> str:
    raw = await store.redis.hget(keys.payee(store, node_id), "transfers")
    return raw.decode() if raw else "unknown"


async def refresh_payee(store: Store, payments: Payments, node_id: str) -> None:
    """Ask Stripe about the node's account when our record does not say its transfers are
    active: an `account.updated` may have been lost, or never sent to this endpoint."""
    if await _transfers_state(store, node_id) == "active":
        return
    account_id = await store.redis.hget(store.keys.node(node_id), "stripe_account")
    if not account_id:
        return
    try:
        account = await payments.stripe.v1.accounts.retrieve_async(account_id.decode())
    except stripe.StripeError as exc:
        log.warning("node %s: could not read its Stripe account: %s", node_id, describe(exc))
        return
    await onboarding.record_account(store, node_id, as_dict(account))


async def send(
    store: Store,
    payments: Payments,
    claimed: RawHash,
    *,
    now: int,
    policy: outbox.OutboxPolicy = outbox.DEFAULT_POLICY,
) -> str:
    """Make the claimed payout's Transfer and record Stripe's answer; the new status."""
    rec = PayoutRecord.from_hash(claimed)
    payout_id, gen = rec.payout_id, rec.gen
    group = transfer_group(store.pool, payout_id, gen)
    if rec.key_n:
        key = payout_key(store.pool, payout_id, gen, rec.key_n)
    else:  # reserved before keys were numbered: its first key had no number
        key = idempotency_key(store.pool, "payout", payout_id, gen)
    attempts = rec.attempts or 1
    refusal = await key_refusal(store)
    if refusal and refusal.get("key_id") == payments.key_id:
        # Stripe refuses this very key: do not send it again; wait with the others.
        status = int(refusal.get("status") or 401)
        return await _hold(store, payments, payout_id, gen, status, refusal["error"], now)
    try:
        first_sent = rec.first_sent_at or now
        past_replay = rec.recovering and now - first_sent > policy.replay_window_ms
        if past_replay or rec.check_first:
            # Stripe may have made it (a 5xx, or a key it has forgotten after 24 h): look first.
            found = await _find_transfer(payments, group, payout_id)
            if found is not None:
                return await settle(
                    store, payout_id, gen, "paid", transfer=str(found["id"]), error="", now=now
                )
        capability = await _transfers_state(store, rec.node_id)
        if capability != "active":
            message = (
                f"Node {rec.node_id}'s Stripe account cannot receive transfers (its transfers "
                f"capability is {capability}); the amount is the node's again."
            )
            log.warning("payout %s failed: %s", payout_id, message)
            return await settle(
                store, payout_id, gen, "failed", transfer="", error=message, now=now
            )
        transfer = await payments.stripe.v1.transfers.create_async(
            {
                "amount": to_cents(rec.amount),
                "currency": "usd",
                "destination": rec.account,
                "transfer_group": group,
                "description": f"lcn payout {payout_id} to node {rec.node_id}",
                "metadata": {
                    "lcn_pool": store.pool,
                    "lcn_payout": payout_id,
                    "lcn_gen": gen,
                    "lcn_node": rec.node_id,
                },
            },
            {"idempotency_key": key},
        )
    except stripe.StripeError as exc:
        message = describe(exc)
        if key_refused(exc):
            log.error("payout %s held: %s", payout_id, message)
            status = exc.http_status or 401
            return await _hold(store, payments, payout_id, gen, status, message, now)
        if balance_insufficient(exc):
            wait = f"Waiting for Stripe's available balance to cover it: {message}"
            log.info("payout %s: %s", payout_id, wait)
            return await _defer(
                store,
                payout_id,
                gen,
                now=now,
                retry_at=now + policy.funds_wait_ms,
                error=wait,
                new_key=True,
            )
        if retryable(exc):
            saved = saved_failure(exc)
            log.warning("payout %s: %s retrying (attempt %d)", payout_id, message, attempts)
            return await _defer(
                store,
                payout_id,
                gen,
                now=now,
                retry_at=policy.retry_at(now, attempts),
                error=message,
                new_key=saved,
                check_first=saved,
            )
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
    await release_if_key_replaced(store, client, now=at)
    created: list[str] = []
    if node_id:
        await refresh_payee(store, client, node_id)
        payout_id = await reserve(store, node_id, min_micro=min_micro, now=at)
        created += [payout_id] if payout_id else []
    else:
        for nid in await payee_ids(store):
            try:
                await refresh_payee(store, client, nid)
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
    while the ledger check fails. Retrying a payout held because Stripe refused our key says
    the key is fixed: every held payout goes again."""
    client = require(payments)
    await ledger.require_payable(store)
    at = now or outbox.now_ms()
    if await store.redis.zscore(keys.payouts_held(store), payout_id) is not None:
        await release_held(store, now=at)
    await refresh_payee(store, client, (await get_payout(store, payout_id)).node_id)
    await store.script("retry_payout", [keys.payout(store, payout_id)], at)
    return await send_now(store, client, payout_id, now=at, policy=policy)
