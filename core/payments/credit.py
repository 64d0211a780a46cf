"""Who may be held for how much: the credit policy every placing script is given.

The check itself lives in the placing Lua (core/store/lua/include/jobs.lua `can_hold`): it
reads the creator's balance and posts the hold at the chosen node's own rate in one script, so
racing submissions cannot all pass one check. With payments on, a creator's credit must cover
the hold (available credit never goes below zero); with payments off, a creator is billed on
account but may owe at most the debt limit (`LCN_CREDIT_LIMIT`). Imports nothing of Stripe: it
runs on every submission.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.config import Settings
from core.money import parse_credit_limit
from core.payments import mode


@dataclass(frozen=True)
class CreditPolicy:
    """`payments_on`: the creator's credit must cover each hold. Otherwise `debt_limit` (micro-USD)
    is how far below zero a creator's balance may go; None trusts every creator (in-process
    tools such as the benchmarks, or an operator who set LCN_CREDIT_LIMIT=unlimited)."""

    payments_on: bool
    debt_limit: int | None = None

    def argv(self) -> tuple[str, str]:
        """The policy as the placing scripts take it: mode and limit, both strings."""
        if self.payments_on:
            return ("on", "0")
        if self.debt_limit is None:
            return ("none", "0")
        return ("off", str(self.debt_limit))


TRUSTED = CreditPolicy(payments_on=False, debt_limit=None)


def policy(settings: Settings, *, payments_on: bool | None = None) -> CreditPolicy:
    """The policy of a process with these settings (`payments_on` overrides the key's presence)."""
    on = mode.enabled(settings) if payments_on is None else payments_on
    return CreditPolicy(payments_on=on, debt_limit=settings.credit_limit)


def policy_from_env(*, payments_on: bool | None = None) -> CreditPolicy:
    """The same policy from the environment alone, for code with no Settings at hand (Settings
    reads the same variables, so the two agree)."""
    on = mode.enabled_in_env() if payments_on is None else payments_on
    return CreditPolicy(
        payments_on=on, debt_limit=parse_credit_limit(os.environ.get("LCN_CREDIT_LIMIT"))
    )
