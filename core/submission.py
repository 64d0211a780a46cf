"""The one way in for a new job, used by the CLI, the gateway and the demo: a large
splittable data job is sharded across agents, anything else is submitted and placed whole."""

from __future__ import annotations

from core import jobs
from core.models.job import SubmitJob, SubmitResult
from core.payments.credit import CreditPolicy, policy_from_env
from core.store import Store
from core.swarm.fanout import shard_count, submit_sharded


async def submit(
    store: Store,
    body: SubmitJob,
    *,
    max_attempts: int,
    payments_on: bool | None = None,
    credit: CreditPolicy | None = None,
) -> SubmitResult:
    """`payments_on`: whether this network takes payments (a secret key is configured); None
    reads STRIPE_SECRET_KEY. With payments on, a creator whose credit does not cover the hold at
    the node's own rate is refused; with them off, one who would owe more than LCN_CREDIT_LIMIT.
    `credit` gives the whole policy instead (core.payments.credit). The check and the hold are
    one Lua script, so racing submissions cannot overdraw."""
    if credit is None:
        credit = policy_from_env(payments_on=payments_on)
    shards = shard_count(body.task)
    if shards > 1:
        return await submit_sharded(store, body, shards, max_attempts=max_attempts, credit=credit)
    return await jobs.submit(store, body, max_attempts=max_attempts, credit=credit)
