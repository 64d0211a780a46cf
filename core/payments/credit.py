"""With payments on, a job is only accepted from a creator whose prepaid credit covers what it
may cost (its list-price estimate); with payments off creators are billed on account and may
owe. Imports nothing of Stripe: it runs on every submission."""

from __future__ import annotations

from core import jobs, ledger
from core.errors import InvalidInput
from core.models.job import SubmitJob
from core.money import format_usd
from core.payments import mode
from core.store import Store


async def require_credit(store: Store, body: SubmitJob, *, enabled: bool | None = None) -> None:
    """Refuse the job when payments are on and the creator's balance is below its estimate.
    `enabled` defaults to whether STRIPE_SECRET_KEY is set."""
    if not (mode.enabled_in_env() if enabled is None else enabled):
        return
    need = jobs.list_price_estimate(body.task)
    have = await ledger.balance(store, ledger.creator_account(body.creator_pkp))
    if have < need:
        raise InvalidInput(
            f"Creator {body.creator_pkp} has {format_usd(max(have, 0))} of credit but this job "
            f"may cost up to {format_usd(need)}; buy credit first (lcn payments buy)."
        )
