"""Archived money records brought back into Redis when a script needs them ("rehydrated").

The archiver moves final payouts, purchases, refunds and disputes to the archive, but Stripe can
still speak about them: a refund made in the Dashboard months later, a dispute, a transfer
reversal, an operator's refund of an old purchase. Their scripts need the whole record (what is
left to refund, what was paid) to stay exact, so rather than teach every script to read the
archive, the record is put back as it was (restore_money.lua) and the script runs again. The
archiver moves it out again once it is due.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.archive.models import MONEY_KINDS

if TYPE_CHECKING:
    from core.store.connection import Store

log = logging.getLogger("lcn.archive")


async def restore_archived(store: Store, name: str) -> bool:
    """Put the archived record `name` ('purchase:<id>', …) back into Redis; False when there is
    no archive to read it from or it is not there (the caller's refusal then stands)."""
    from core.store import calls

    kind, _, record_id = name.partition(":")
    if kind not in MONEY_KINDS or not record_id or store.archive is None:
        return False
    archive = await store.archive.get()
    if archive is None:
        return False
    found = await archive.get_record(kind, record_id)
    if found is None:
        log.error("%s is marked archived but the archive has no row for it", name)
        return False
    fields = {str(k): str(v) for k, v in found.record.items()}
    await calls.restore_money(store, kind, fields)
    return True  # restored now, or by a concurrent caller: either way, run the script again
