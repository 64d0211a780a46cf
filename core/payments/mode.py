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


def key_turns_on(secret_key: str | None) -> bool:
    """The rule itself: a secret key turns payments on; none, an empty one or blanks do not.
    Every other way of asking goes through here, so no two parts of lcn disagree."""
    return bool(secret_key and secret_key.strip())


def enabled(settings: Settings) -> bool:
    return key_turns_on(settings.stripe_secret_key)


def enabled_in_env() -> bool:
    """The same decision from the environment alone, for code that has no Settings at hand."""
    return key_turns_on(os.environ.get("STRIPE_SECRET_KEY"))
