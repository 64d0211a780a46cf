"""Whether payments are on, decided in one place: a Stripe secret key turns them on.

Kept free of the `stripe` import, because the job submission path asks it on every job.
"""

from __future__ import annotations

import os

from core.config import Settings
from core.errors import LcnError

OFF_MESSAGE = (
    "Payments are off: set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET) to turn them on; "
    "until then jobs are billed to creators' ledger accounts and node earnings accrue."
)


class PaymentsOff(LcnError):
    """A payment action was asked for while payments are off; nothing was written."""

    code = "payments_off"

    def __init__(self, message: str = OFF_MESSAGE) -> None:
        super().__init__(message)


def enabled(settings: Settings) -> bool:
    return bool(settings.stripe_secret_key)


def enabled_in_env() -> bool:
    """The same decision from the environment alone, for code that has no Settings at hand
    (Settings reads the same variable, so the two agree)."""
    return bool(os.environ.get("STRIPE_SECRET_KEY", "").strip())
