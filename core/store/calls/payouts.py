"""Payouts to nodes' Stripe accounts, and the accounts themselves."""

from __future__ import annotations

from typing import TypedDict

from core.store.calls.reply import text, whole
from core.store.connection import Store


async def attach_payee(store: Store, node_id: str, account_id: str, now_ms: int) -> None:
    await store.script("attach_payee", [store.keys.node(node_id)], account_id, now_ms)


class PayoutReserved(TypedDict, total=False):
    """Whether a payout was created; when not, the node's available earnings were too few."""

    created: bool
    id: str
    amount: int
    available: int
    node: str


async def reserve_payout(
    store: Store, node_id: str, payout_id: str, now_ms: int, min_micro: int, max_micro: int | None
) -> PayoutReserved:
    reply: PayoutReserved = await store.script(
        "reserve_payout",
        [store.keys.node(node_id)],
        payout_id,
        now_ms,
        min_micro,
        "" if max_micro is None else max_micro,
    )
    return reply


class Settled(TypedDict):
    status: str
    duplicate: bool


async def settle_payout(
    store: Store, payout_id: str, gen: str, outcome: str, transfer: str, error: str, now_ms: int
) -> Settled:
    reply: Settled = await store.script(
        "settle_payout", [store.keys.payout(payout_id)], gen, outcome, transfer, error, now_ms
    )
    return reply


async def defer_payout(
    store: Store,
    payout_id: str,
    gen: str,
    now_ms: int,
    retry_at: int,
    error: str,
    *,
    new_key: bool,
    check_first: bool,
) -> None:
    await store.script(
        "defer_payout",
        [store.keys.payout(payout_id)],
        gen,
        now_ms,
        retry_at,
        error,
        "1" if new_key else "0",
        "1" if check_first else "0",
    )


async def hold_payout(
    store: Store, payout_id: str, gen: str, now_ms: int, status: int, error: str, key_id: str
) -> None:
    """Hold a payout because Stripe refused our API key (`status` 401/403, by `key_id`)."""
    await store.script(
        "hold_payout", [store.keys.payout(payout_id)], gen, now_ms, status, error, key_id
    )


async def release_held_payouts(store: Store, now_ms: int) -> int:
    """How many held payouts were made due again."""
    return whole(await store.script("release_held_payouts", [store.keys.payouts_held], now_ms))


async def retry_payout(store: Store, payout_id: str, now_ms: int) -> None:
    await store.script("retry_payout", [store.keys.payout(payout_id)], now_ms)


async def book_transfer_reversal(
    store: Store, payout_id: str, reversal_id: str, cents: int, transfer: str, now_ms: int
) -> str:
    """'booked', 'duplicate' or 'unknown'."""
    return text(
        await store.script(
            "book_transfer_reversal",
            [store.keys.payout(payout_id), store.keys.reversal(reversal_id)],
            reversal_id,
            str(cents),
            transfer,
            now_ms,
        )
    )
