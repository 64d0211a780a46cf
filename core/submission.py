"""The one way in for a new job, used by the CLI, the gateway and the demo: a large
splittable data job is sharded across agents, anything else is submitted and placed whole."""

from __future__ import annotations

from core import jobs
from core.models.job import SubmitJob, SubmitResult
from core.payments.credit import require_credit
from core.store import Store
from core.swarm.fanout import shard_count, submit_sharded


async def submit(
    store: Store, body: SubmitJob, *, max_attempts: int, payments_on: bool | None = None
) -> SubmitResult:
    """`payments_on`: whether this network takes payments (a secret key is configured); with
    payments on, a creator short of credit is refused. None reads STRIPE_SECRET_KEY."""
    await require_credit(store, body, enabled=payments_on)
    shards = shard_count(body.task)
    if shards > 1:
        return await submit_sharded(store, body, shards, max_attempts=max_attempts)
    return await jobs.submit(store, body, max_attempts=max_attempts)
