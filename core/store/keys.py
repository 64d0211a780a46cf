"""Key names: the only place they are made, for Python and for Lua.

Every key of a pool starts with the prefix `lcn:{pool}:` and so carries the hash tag `{pool}`:
a pool lives in one slot of a Redis Cluster and its scripts stay atomic. `TEMPLATES` names each
key's shape once; the `Keys` methods format them in Python, and the script loader
(core/store/scripts.py) turns the same table into a Lua include of key functions, prepended to
every script: `K.job(job_id)`, `K.nodes_all()`. A test checks that the two build the same names.

Why a generated include rather than declared KEYS (BullMQ style): our scripts discover keys at
run time. `place_pending` walks the pending queues and the nodes able to run each job,
`reassign_job` picks a node, the sweeps walk leases and heartbeats; a caller cannot name those
keys in advance, so a strict mode that wants every key in KEYS (Dragonfly's, Upstash's) could
not run them anyway. Since every key shares the `{pool}` hash tag, a script that passes its main
key as KEYS[1] is routed to the pool's slot and every key it builds lives in that slot, so
Redis Cluster stays correct.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Key name → its shape after the prefix. A `{field}` is an argument of the Python method and of
# the Lua function (in this order); everything else is literal.
TEMPLATES: dict[str, str] = {
    # nodes
    "node": "node:{node_id}",
    "node_jobs": "node:{node_id}:jobs",
    "node_history": "node:{node_id}:history",
    "node_by_address": "node-by-address:{address}",
    "node_queue": "nodequeue:{node_id}:{job_type}",
    "nonce": "nonce:{nonce}",
    "nodes_with_status": "nodes:status:{status}",
    "nodes_all": "nodes:all",
    "nodes_seen": "nodes:seen",
    "sched_index": "sched:{tag}",
    "capable": "cap:{tag}",
    "capable_by_memory": "capmem:{tag}",
    # jobs
    "job": "job:{job_id}",
    "job_history": "job:{job_id}:history",
    "job_shards": "job:{job_id}:shards",
    "job_partials": "job:{job_id}:partials",
    "jobs_with_status": "jobs:status:{status}",
    "jobs_all": "jobs:all",
    "pending": "pending:{tag}",
    "pending_tags": "pending:tags",
    "unplaceable": "unplaceable:{tag}",
    "unplaceable_due": "unplaceable-due",
    "deadlines": "deadlines",
    "reduce_ready": "reduce:ready",
    "blob": "blob:{cid}",
    "leases": "leases",
    "events": "events",
    "audit": "audit",
    "lock": "lock:{name}",
    # alerts (core/alerts): each item's firing state and what each sink was told, by fingerprint
    "alert": "alert:{fingerprint}",
    "alerts": "alerts",
    # agents
    "agent": "agent:{agent_id}",
    "agents_all": "agents:all",
    "agents_seen": "agents:seen",
    "agent_series": "ts:agent:{agent_id}",
    # counters and time series
    "totals": "totals",
    "series": "ts:{name}",
    "histogram": "hist:{name}",
    # any record hash by its kind (job, node, payout, purchase, refund, …) and id
    "record": "{kind}:{record_id}",
    # ledger
    "balances": "ledger:balances",
    "journal": "ledger:journal",
    "ledger_idem": "ledger:idem",
    "ledger_lastcheck": "ledger:lastcheck",
    "ledger_checkpoint": "ledger:checkpoint",
    "ledger_checkpoint_seen": "ledger:checkpoint:seen",
    "ledger_checkpoint_next": "ledger:checkpoint:seen:next:{epoch}",
    "ledger_checkpoint_prune": "ledger:checkpoint:prune",
    # access: API keys, node sessions, signed requests, rate limits
    "apikeys": "apikeys",
    "apikey": "apikey:{digest}",
    "signin_nonce": "signin-nonce:{nonce}",
    "session": "session:{digest}",
    "seen_signature": "seen-signature:{signature_id}",
    "rate": "rate:{identity}",
    "auth_failures": "rate:auth-failures:{client}",
    # console access over SSH: key names → fingerprints, and each key's grant
    "ssh_keys": "ssh:keys",
    "ssh_key": "ssh:key:{fingerprint}",
    # payments
    "payout": "payout:{payout_id}",
    "purchase": "purchase:{purchase_id}",
    "refund": "refund:{refund_id}",
    "dispute": "dispute:{dispute_id}",
    "reversal": "reversal:{reversal_id}",
    "reversals": "reversals",
    "money_archived": "money:archived",
    "records_index": "{kind}",
    "records_with_status": "{kind}:status:{status}",
    "node_payouts": "payouts:node:{node_id}",
    "payouts_held": "payouts:held",
    "outbox_due": "outbox:due",
    "fulfil_due": "purchases:fulfil",
    "fees_due": "purchases:fees",
    "purchase_by_payment_intent": "purchases:by-pi",
    "buyer_purchases": "purchases:buyer:{buyer}",
    "entitlements": "entitlements:{buyer}",
    "payees": "payees",
    "payee_by_account": "payee-by-account",
    "payee": "payee:{node_id}",
    "webhook_event": "stripe:event:{event_id}",
    "stripe_key_refused": "stripe:key_refused",
    "money": "money",
    "money_series": "ts:money:{name}",
    # the scheduler benchmark's copy of the first version's layout (one JSON per node)
    "naive": "naive:{name}",
}

PAYOUT_STATUSES = ("pending", "sent", "paid", "failed")
PURCHASE_STATUSES = ("open", "paid", "failed", "expired", "refunded", "mismatch")
REFUND_STATUSES = ("pending", "sent", "succeeded", "failed")

_FIELD = re.compile(r"\{(\w+)\}")


def template_fields(name: str) -> list[str]:
    """The arguments of key `name`, in order."""
    return _FIELD.findall(TEMPLATES[name])


# The same templates with positional fields, formatted without a lookup by name.
_POSITIONAL = {name: _FIELD.sub("{}", template) for name, template in TEMPLATES.items()}


def lua_include(names: Iterable[str] | None = None) -> str:
    """The Lua key functions, one per template (or only `names`): `K.node(node_id)` returns
    `P .. 'node:' .. node_id` where P, the prefix, is the script's ARGV[1]. A name that is no
    template raises KeyError, so a misspelt key function fails at load, not in production."""
    lines = ["local P = ARGV[1]", "local K = {}"]
    for name in TEMPLATES if names is None else sorted(set(names)):
        parts = [
            f"'{piece}'" if i % 2 == 0 else piece
            for i, piece in enumerate(_FIELD.split(TEMPLATES[name]))
            if piece
        ]
        body = " .. ".join(["P", *parts])
        lines.append(f"function K.{name}({', '.join(template_fields(name))}) return {body} end")
    return "\n".join(lines)


@dataclass(frozen=True)
class Keys:
    pool: str

    @property
    def prefix(self) -> str:
        """The start of every key of the pool; only for matching them all (SCAN) and for the
        scripts' ARGV[1]. Build a name with a method below."""
        return f"lcn:{{{self.pool}}}:"

    @property
    def every_key(self) -> str:
        """A SCAN pattern matching every key of the pool."""
        return self.prefix + "*"

    def _make(self, name: str, *parts: str) -> str:
        return self.prefix + _POSITIONAL[name].format(*parts)

    # nodes
    def node(self, node_id: str) -> str:
        return self._make("node", node_id)

    def node_jobs(self, node_id: str) -> str:
        """The jobs a node holds now."""
        return self._make("node_jobs", node_id)

    def node_history(self, node_id: str) -> str:
        """Every job the node ever held, by when it got it."""
        return self._make("node_history", node_id)

    def node_by_address(self, address: str) -> str:
        return self._make("node_by_address", address.lower())

    def node_queue(self, node_id: str, job_type: str) -> str:
        return self._make("node_queue", node_id, job_type)

    def nonce(self, nonce: str) -> str:
        return self._make("nonce", nonce)

    def nodes_with_status(self, status: str) -> str:
        return self._make("nodes_with_status", status)

    @property
    def nodes_all(self) -> str:
        return self._make("nodes_all")

    @property
    def nodes_seen(self) -> str:
        return self._make("nodes_seen")

    def sched_index(self, tag: str) -> str:
        return self._make("sched_index", tag)

    def capable(self, tag: str) -> str:
        """The nodes able to run jobs of a scheduling tag."""
        return self._make("capable", tag)

    def capable_by_memory(self, tag: str) -> str:
        """The same nodes by their memory (MB), idle or not: what the largest could ever run."""
        return self._make("capable_by_memory", tag)

    # jobs
    def job(self, job_id: str) -> str:
        return self._make("job", job_id)

    def job_history(self, job_id: str) -> str:
        return self._make("job_history", job_id)

    def job_shards(self, job_id: str) -> str:
        return self._make("job_shards", job_id)

    def job_partials(self, job_id: str) -> str:
        return self._make("job_partials", job_id)

    def jobs_with_status(self, status: str) -> str:
        return self._make("jobs_with_status", status)

    @property
    def jobs_all(self) -> str:
        return self._make("jobs_all")

    def pending(self, tag: str) -> str:
        return self._make("pending", tag)

    @property
    def pending_tags(self) -> str:
        return self._make("pending_tags")

    def unplaceable(self, tag: str) -> str:
        """Pending jobs of a tag that no registered node could ever run, by memory need (MB):
        out of the queue, so they cost its walk nothing, until a node that may fit registers."""
        return self._make("unplaceable", tag)

    @property
    def unplaceable_due(self) -> str:
        """The same jobs, every tag, by when each was first found unplaceable (ms): its
        grace runs from then."""
        return self._make("unplaceable_due")

    @property
    def deadlines(self) -> str:
        return self._make("deadlines")

    @property
    def reduce_ready(self) -> str:
        return self._make("reduce_ready")

    def blob(self, cid: str) -> str:
        return self._make("blob", cid)

    @property
    def leases(self) -> str:
        return self._make("leases")

    @property
    def events(self) -> str:
        return self._make("events")

    @property
    def audit(self) -> str:
        return self._make("audit")

    def lock(self, name: str) -> str:
        return self._make("lock", name)

    def alert(self, fingerprint: str) -> str:
        """An alert's state: status, times, the alert as it fired, `sent:<sink>` per sink."""
        return self._make("alert", fingerprint)

    @property
    def alerts(self) -> str:
        """The fingerprints that have an alert state (a set)."""
        return self._make("alerts")

    # agents
    def agent(self, agent_id: str) -> str:
        return self._make("agent", agent_id)

    @property
    def agents_all(self) -> str:
        return self._make("agents_all")

    @property
    def agents_seen(self) -> str:
        return self._make("agents_seen")

    def agent_series(self, agent_id: str) -> str:
        return self._make("agent_series", agent_id)

    # counters and time series
    @property
    def totals(self) -> str:
        return self._make("totals")

    def series(self, name: str) -> str:
        """A console time series (completed, failed, revenue, …) by STATS_BUCKET_MS bucket."""
        return self._make("series", name)

    def histogram(self, name: str) -> str:
        return self._make("histogram", name)

    def record(self, kind: str, record_id: str) -> str:
        """The hash of any record by its kind ('job', 'node', 'payout', …) and id."""
        return self._make("record", kind, record_id)

    # ledger
    @property
    def balances(self) -> str:
        return self._make("balances")

    @property
    def journal(self) -> str:
        return self._make("journal")

    @property
    def ledger_idem(self) -> str:
        return self._make("ledger_idem")

    @property
    def ledger_lastcheck(self) -> str:
        return self._make("ledger_lastcheck")

    @property
    def ledger_checkpoint(self) -> str:
        return self._make("ledger_checkpoint")

    @property
    def ledger_checkpoint_seen(self) -> str:
        return self._make("ledger_checkpoint_seen")

    @property
    def ledger_checkpoint_prune(self) -> str:
        """Jobs ('id:gen') the archiver removed, whose once-only tags the next check drops."""
        return self._make("ledger_checkpoint_prune")

    def ledger_checkpoint_next(self, epoch: str) -> str:
        """A full check's new seen set, until its checkpoint takes it over."""
        return self._make("ledger_checkpoint_next", epoch)

    # access
    @property
    def apikeys(self) -> str:
        """API key names → digests."""
        return self._make("apikeys")

    def apikey(self, digest: str) -> str:
        return self._make("apikey", digest)

    @property
    def ssh_keys(self) -> str:
        """SSH key names → their SHA256 fingerprints (`lcn access`)."""
        return self._make("ssh_keys")

    def ssh_key(self, fingerprint: str) -> str:
        """One SSH key's grant: name, role, fingerprint, public key, created_at."""
        return self._make("ssh_key", fingerprint)

    def signin_nonce(self, nonce: str) -> str:
        return self._make("signin_nonce", nonce)

    def session(self, digest: str) -> str:
        """A node's session, by the SHA-256 of its token."""
        return self._make("session", digest)

    def seen_signature(self, signature_id: str) -> str:
        return self._make("seen_signature", signature_id)

    def rate(self, identity: str) -> str:
        return self._make("rate", identity)

    def auth_failures(self, client: str) -> str:
        return self._make("auth_failures", client)

    # payments
    def payout(self, payout_id: str) -> str:
        return self._make("payout", payout_id)

    def purchase(self, purchase_id: str) -> str:
        return self._make("purchase", purchase_id)

    def refund(self, refund_id: str) -> str:
        return self._make("refund", refund_id)

    def dispute(self, dispute_id: str) -> str:
        return self._make("dispute", dispute_id)

    def reversal(self, reversal_id: str) -> str:
        """One Stripe transfer reversal booked against a payout (trr_…)."""
        return self._make("reversal", reversal_id)

    @property
    def reversals(self) -> str:
        return self._make("reversals")

    @property
    def money_archived(self) -> str:
        """The money records ('purchase:<id>', …) the archiver moved out of Redis: a set."""
        return self._make("money_archived")

    def records_index(self, kind: str) -> str:
        """All records of a kind ('payouts', 'purchases', 'refunds') by creation time."""
        return self._make("records_index", kind)

    def records_with_status(self, kind: str, status: str) -> str:
        return self._make("records_with_status", kind, status)

    def node_payouts(self, node_id: str) -> str:
        return self._make("node_payouts", node_id)

    @property
    def payouts_held(self) -> str:
        """Payouts held because Stripe refused our API key, by when they were held."""
        return self._make("payouts_held")

    @property
    def outbox_due(self) -> str:
        return self._make("outbox_due")

    @property
    def fulfil_due(self) -> str:
        return self._make("fulfil_due")

    @property
    def fees_due(self) -> str:
        """Purchases whose Stripe fee is still to be read from their charge, by when to look."""
        return self._make("fees_due")

    @property
    def purchase_by_payment_intent(self) -> str:
        return self._make("purchase_by_payment_intent")

    def buyer_purchases(self, buyer: str) -> str:
        return self._make("buyer_purchases", buyer)

    def entitlements(self, buyer: str) -> str:
        return self._make("entitlements", buyer)

    @property
    def payees(self) -> str:
        """Nodes with a Stripe Connect account, by the time it was attached."""
        return self._make("payees")

    @property
    def payee_by_account(self) -> str:
        return self._make("payee_by_account")

    def payee(self, node_id: str) -> str:
        """What Stripe last told us about a node's connected account (account.updated)."""
        return self._make("payee", node_id)

    def webhook_event(self, event_id: str) -> str:
        return self._make("webhook_event", event_id)

    @property
    def stripe_key_refused(self) -> str:
        """Set while Stripe refuses our API key (401/403): status, error, key_id, since, at."""
        return self._make("stripe_key_refused")

    @property
    def money(self) -> str:
        return self._make("money")

    def money_series(self, name: str) -> str:
        return self._make("money_series", name)

    def naive(self, name: str) -> str:
        return self._make("naive", name)


# Every pool's prefix is the same with the pool between the braces: `:pool` finds the pools that
# exist by SCANning for it (core.reads.pools), since a set of pools outside every pool's hash tag
# could not be kept by the pools' own scripts under Redis Cluster.
_POOL_HEAD, _, _POOL_TAIL = Keys("\0").prefix.partition("\0")


def pools_pattern() -> str:
    """A SCAN pattern matching the keys of every pool."""
    return Keys("*").every_key


def pool_of(key: str) -> str | None:
    """The pool a key belongs to, or None for a key outside every pool."""
    if not key.startswith(_POOL_HEAD):
        return None
    pool, sep, _ = key[len(_POOL_HEAD) :].partition(_POOL_TAIL)
    return pool if sep and pool else None
