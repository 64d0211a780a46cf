"""Provenance: every posting in the ledger's journal must come from a real source.

Balanced books can still hold minted money: two entries that move $5,000 from `world` to a
node and to a creator balance perfectly. So the books check also proves where each posting came
from. Every posting an lcn script makes carries an idempotency key that names its source
(`settle:<job>:<gen>`, `purchase:<id>`, `payout:reserve:<id>:<gen>`, …), a kind and a reference.
This module knows the exact shape each script writes and checks it against the record it names:

* a job's hold against the job (its creator, and the estimate it holds);
* a settlement against the hold it settles (one exit per hold, the amounts summing to it), the
  job (creator, node, cost and the 70/30 split) and the node's own job history;
* a hold's release against the hold and the job's end (failed or cancelled);
* a credit or a sale against a paid purchase of exactly that amount, once per purchase;
* money that arrived but could not be credited (a `mismatch` purchase) into `suspense`, against
  the purchase's recorded payment, once per purchase;
* a payout's reservation, payment and release against the payout and its reservation;
* a refund's reservation, payment, return and reversal against the refund record, and its
  origin against its purchase: the creator or the platform for a purchase we credited,
  `suspense` for one we never did.
* Stripe's fee on a purchase's charge (platform → stripe_fees) against the fee the purchase
  records, once per purchase;
* a transfer reversal (world → reversed) against its record and a paid payout, once per Stripe
  reversal id, the reversals of one payout adding up to at most what it paid;
* a dispute's hold (origin and platform → disputes, platform → stripe_fees for its fee) against
  the dispute record and its purchase, once; its close, won or lost, against the open hold.

A posting no script would have written, or whose record does not back it, is *unproven* and is
named by its journal id. An operator neutralises a forged one with `reverse` in core/ledger.py:
the mirrored entry names the posting it reverses, and the pair counts as resolved.

Cost: the journal is read once, in chunks; each chunk's records are read in one pipelined round
trip (each record once). Between chunks it keeps what is open (holds of live jobs, payouts and
refunds in flight), one 64-bit digest per job generation already settled (so a copied hold and
settlement cannot pay a node twice: about 60 bytes each) and one id per purchase, payout
generation and refund. A check that continues from a checkpoint (core/ledger_checkpoint.py)
starts from the open state the checkpoint saved (`state`, `restore`) and, instead of keeping a
tag for every once-only fact, asks the checkpoint's Redis set whether a fact was seen, in the
same pipelined round trip as the chunk's records (`Once`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from core.models.base import WireModel
from core.models.records.fields import exact_int
from core.store import Store

Leg = tuple[str, str, int, str]  # from, to, micro-USD, kind

KEEP_UNPROVEN = 10_000  # unproven postings remembered in detail (for reversals and reports)
NODE_SHARE_PERCENT = 70

# The idempotency keys our scripts write, each naming its source (core/store/lua/*.lua).
SOURCES: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern))
    for name, pattern in (
        ("hold", r"hold:(?P<id>[^:]+):(?P<gen>\d+)"),
        ("settle", r"settle:(?P<id>[^:]+):(?P<gen>\d+)"),
        ("release", r"release:(?P<id>[^:]+):(?P<gen>\d+)"),
        ("purchase", r"purchase:(?P<id>[^:]+)"),
        ("suspense", r"suspense:purchase:(?P<id>[^:]+)"),
        ("payout_reserve", r"payout:reserve:(?P<id>[^:]+):(?P<gen>\d+)"),
        ("payout_paid", r"payout:paid:(?P<id>[^:]+):(?P<gen>\d+)"),
        ("payout_release", r"payout:release:(?P<id>[^:]+):(?P<gen>\d+)"),
        ("refund_reserve", r"refund:reserve:(?P<id>[^:]+)"),
        ("refund_paid", r"refund:paid:(?P<id>[^:]+)"),
        ("refund_release", r"refund:release:(?P<id>[^:]+)"),
        ("refund_reversed", r"refund:reversed:(?P<id>[^:]+)"),
        ("refund_external", r"refund:external:(?P<id>[^:]+)"),
        ("stripe_fee", r"stripe_fee:(?P<id>[^:]+)"),
        ("reversal", r"reversal:(?P<id>[^:]+)"),
        ("dispute_open", r"dispute:open:(?P<id>[^:]+)"),
        ("dispute_won", r"dispute:won:(?P<id>[^:]+)"),
        ("dispute_lost", r"dispute:lost:(?P<id>[^:]+)"),
        ("reverse", r"reverse:(?P<id>\d+-\d+)"),
    )
]
JOB_FIELDS = (
    "id",
    "creator",
    "node",
    "gen",
    "status",
    "estimated_cost",
    "actual_cost",
    "node_share",
)
PURCHASE_FIELDS = ("id", "kind", "buyer", "amount", "status", "paid_micro", "stripe_fee")
PAYOUT_FIELDS = ("id", "node", "amount", "gen", "status")
REFUND_FIELDS = ("id", "purchase", "origin", "amount", "status")
DISPUTE_FIELDS = ("id", "purchase", "amount", "fee", "origin", "from_origin", "fee_back", "status")
REVERSAL_FIELDS = ("id", "payout", "amount")


class PostingLeg(WireModel):
    from_account: str
    to_account: str
    amount_micro_usd: int
    kind: str


class UnprovenPosting(WireModel):
    posting_id: str = Field(description="The journal entry's id (its stream id).")
    idem: str
    kind: str
    ref: str
    legs: list[PostingLeg]
    reason: str = Field(description="Why its source does not back it.")


@dataclass(frozen=True)
class Posting:
    """One journal entry as written; `problem` says why it could not be read, if so."""

    posting_id: str
    idem: str
    kind: str
    ref: str
    legs: tuple[Leg, ...]
    problem: str | None = None

    def unproven(self, reason: str) -> UnprovenPosting:
        return UnprovenPosting(
            posting_id=self.posting_id,
            idem=self.idem,
            kind=self.kind,
            ref=self.ref,
            legs=[
                PostingLeg(from_account=a, to_account=b, amount_micro_usd=x, kind=k)
                for a, b, x, k in self.legs
            ],
            reason=reason,
        )


def parse(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Posting:
    """A journal entry; a malformed one comes back with no legs and its `problem` set."""
    pid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    text = {k.decode(errors="replace"): v.decode(errors="replace") for k, v in fields.items()}
    idem, kind, ref = text.get("idem", ""), text.get("kind", ""), text.get("ref", "")
    try:
        raw = json.loads(text["legs"])
        legs = tuple(_leg(item) for item in raw)
    except (KeyError, ValueError, TypeError):
        return Posting(
            pid, idem, kind, ref, (), "its legs are not a list of [from, to, amount, kind]"
        )
    return Posting(pid, idem, kind, ref, legs)


def _leg(item: Any) -> Leg:
    source, target, amount, kind = item
    if not all(isinstance(v, str) for v in (source, target, kind)):
        raise TypeError("a leg names its accounts and kind as strings")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("a leg moves a whole, non-negative number of micro-USD")
    return source, target, amount, kind


def posting_order(posting_id: str) -> tuple[int, int]:
    """A journal id (`ms-seq`) as a pair that sorts as the journal does."""
    ms, _, seq = posting_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class _Reads:
    """The records one chunk of postings names, read in one pipelined round trip."""

    store: Store
    wanted: dict[tuple[str, ...], int] = field(default_factory=dict)
    replies: list[Any] = field(default_factory=list)
    once: Once | None = None  # continuing from a checkpoint: ask its tag set for `tags` too
    tags: list[bytes] = field(default_factory=list)

    def want(self, *what: str) -> None:
        self.wanted.setdefault(what, len(self.wanted))

    async def run(self) -> None:
        once = self.once if self.once is not None and self.tags else None
        if not self.wanted and once is None:
            return
        keys = self.store.keys
        async with self.store.redis.pipeline(transaction=False) as pipe:
            for what in self.wanted:
                kind, name = what[0], what[1]
                if kind == "history":  # (history, node, job): did the node ever hold the job?
                    pipe.zscore(keys.node_history(name), what[2])
                else:
                    pipe.hmget(keys.record(kind, name), *_FIELDS[kind])
            if once is not None:
                pipe.zmscore(once.seen_key or "", self.tags)
            self.replies = list(await pipe.execute())
        if once is not None:
            scores = self.replies.pop()
            once.known.update(
                (tag, score is not None and score <= once.seen_upto)
                for tag, score in zip(self.tags, scores, strict=True)
            )

    def record(self, kind: str, name: str) -> dict[str, str] | None:
        values = self.replies[self.wanted[(kind, name)]]
        rec = {f: v.decode() for f, v in zip(_FIELDS[kind], values, strict=True) if v is not None}
        return rec if rec.get("id") == name else None

    def in_history(self, node_id: str, job_id: str) -> bool:
        return self.replies[self.wanted[("history", node_id, job_id)]] is not None


_FIELDS = {
    "job": JOB_FIELDS,
    "purchase": PURCHASE_FIELDS,
    "payout": PAYOUT_FIELDS,
    "refund": REFUND_FIELDS,
    "dispute": DISPUTE_FIELDS,
    "reversal": REVERSAL_FIELDS,
}


def source_of(posting: Posting) -> tuple[str, str, int] | None:
    """(source, record id, generation) that the posting's idempotency key names, if any."""
    for name, pattern in SOURCES:
        match = pattern.fullmatch(posting.idem)
        if match:
            gen = match.groupdict().get("gen")
            return name, match["id"], int(gen) if gen is not None else 0
    return None


@dataclass
class ProvenanceResult:
    unproven: list[UnprovenPosting]
    unproven_count: int
    reversed_count: int


class Once:
    """The facts that may happen only once (a job generation's hold closed, a payout generation
    closed, a purchase booked, a refund booked), each kept as a short tag: `mac` of its text.

    A check that replays the whole journal keeps every tag in memory. One that continues from a
    checkpoint asks, chunk by chunk, which tags are in the checkpoint's Redis set (`seen_key`);
    the tags it adds go into that set with the next checkpoint."""

    def __init__(
        self,
        mac: Callable[[str], bytes] | None = None,
        seen_key: str | None = None,
        seen_upto: int = 0,
    ) -> None:
        self.mac = mac or _blake
        self.seen_key = seen_key  # a sorted set: tag -> the checkpoint sequence that added it
        self.seen_upto = seen_upto  # tags added by later checkpoints are not this check's past
        self.local: set[bytes] = set()
        self.known: dict[bytes, bool] = {}
        self.added: list[bytes] = []

    def has(self, fact: str) -> bool:
        tag = self.mac(fact)
        return tag in self.local or self.known.get(tag, False)

    def add(self, fact: str) -> None:
        tag = self.mac(fact)
        if tag not in self.local and not self.known.get(tag, False):
            self.local.add(tag)
            self.added.append(tag)

    def view(self, kind: str) -> OnceView:
        return OnceView(self, kind)


class OnceView:
    """One kind of once-only fact, used like a set."""

    def __init__(self, once: Once, kind: str) -> None:
        self.once, self.kind = once, kind

    def __contains__(self, item: object) -> bool:
        return self.once.has(f"{self.kind}|{item}")

    def add(self, item: object) -> None:
        self.once.add(f"{self.kind}|{item}")


def _blake(fact: str) -> bytes:
    return hashlib.blake2b(fact.encode(), digest_size=8).digest()


def job_hold_facts(job_id: str, gen: int) -> list[str]:
    """The once-only facts of a job's holds up to generation `gen`: what the checkpoint's set
    may drop once the job has left Redis (nothing can post for it again)."""
    return [f"closed_holds|{_digest(job_id, g)}" for g in range(gen + 1)]


def _once_facts(name: str, rid: str, gen: int) -> list[str]:
    """The once-only facts a posting of source `name` may ask about (see the judges)."""
    if name in ("hold", "settle", "release"):
        return [f"closed_holds|{_digest(rid, gen)}"]
    if name.startswith("payout_"):
        return [f"closed_payouts|{(rid, gen)}"]
    if name == "purchase":
        return [f"credited|{rid}"]
    if name == "suspense":
        return [f"suspended|{rid}"]
    if name in ("refund_reserve", "refund_external"):
        return [f"refunds_seen|{'ext-' + rid if name == 'refund_external' else rid}"]
    if name == "stripe_fee":
        return [f"fees|{rid}"]
    if name == "reversal":
        return [f"transfer_reversals|{rid}"]
    if name == "dispute_open":
        return [f"disputes|{rid}"]
    return []


class Provenance:
    """Proves the journal posting by posting; feed it every chunk in journal order."""

    def __init__(self, store: Store, once: Once | None = None) -> None:
        self.store = store
        self.once = once or Once()
        self.reversed_count = 0
        self._holds: dict[tuple[str, int], tuple[int, str]] = {}  # open: amount, creator account
        # Job generations whose hold was settled or released: a second hold for one would let a
        # copied settlement pay a node twice. 64-bit digests, about 60 bytes a generation.
        self._closed_holds = self.once.view("closed_holds")
        self._payouts: dict[tuple[str, int], int] = {}  # reserved, not yet paid or released
        self._closed_payouts = self.once.view("closed_payouts")
        self._refunds_held: dict[str, int] = {}  # reserved, not yet paid or released
        self._refunds_out: set[str] = set()  # paid out to the buyer, not reversed
        self._refunds_seen = self.once.view("refunds_seen")
        self._credited = self.once.view("credited")  # purchases already booked
        self._suspended = self.once.view("suspended")  # purchases whose payment went to suspense
        self._fees = self.once.view("fees")  # purchases whose Stripe fee is booked
        self._transfer_reversals = self.once.view("transfer_reversals")  # trr_… ids booked
        self._reversed: dict[str, int] = {}  # payout → what its transfer reversals add up to
        self._disputes = self.once.view("disputes")  # disputes opened
        self._disputes_open: dict[str, tuple[str, int, int, int]] = {}  # origin, amount, mine, fee
        self._reversals: list[tuple[Posting, str]] = []
        self._kept: dict[str, UnprovenPosting] = {}
        self._kept_legs: dict[str, tuple[Leg, ...]] = {}
        self.unproven_count = 0

    def state(self) -> dict[str, Any]:
        """What is open, as JSON, for a checkpoint to continue from (taken after `finish`)."""
        return {
            "holds": [[j, g, a, c] for (j, g), (a, c) in sorted(self._holds.items())],
            "payouts": [[p, g, a] for (p, g), a in sorted(self._payouts.items())],
            "refundsHeld": dict(sorted(self._refunds_held.items())),
            "refundsOut": sorted(self._refunds_out),
            "reversed": dict(sorted(self._reversed.items())),
            "disputesOpen": {d: list(v) for d, v in sorted(self._disputes_open.items())},
            "unproven": [u.model_dump(mode="json") for u in self._kept.values()],
            "unprovenCount": self.unproven_count,
            "reversedCount": self.reversed_count,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from a checkpoint's `state()`."""
        self._holds = {(str(j), int(g)): (int(a), str(c)) for j, g, a, c in state["holds"]}
        self._payouts = {(str(p), int(g)): int(a) for p, g, a in state["payouts"]}
        self._refunds_held = {str(k): int(v) for k, v in state["refundsHeld"].items()}
        self._refunds_out = {str(r) for r in state["refundsOut"]}
        self._reversed = {str(k): int(v) for k, v in state.get("reversed", {}).items()}
        self._disputes_open = {
            str(d): (str(o), int(a), int(m), int(f))
            for d, (o, a, m, f) in state.get("disputesOpen", {}).items()
        }
        for raw in state["unproven"]:
            kept = UnprovenPosting.model_validate(raw)
            self._kept[kept.posting_id] = kept
            self._kept_legs[kept.posting_id] = tuple(
                (leg.from_account, leg.to_account, leg.amount_micro_usd, leg.kind)
                for leg in kept.legs
            )
        self.unproven_count = int(state["unprovenCount"])
        self.reversed_count = int(state["reversedCount"])

    async def feed(self, postings: Sequence[Posting]) -> None:
        reads = _Reads(self.store)
        sources = []
        for posting in postings:
            source = None if posting.problem else source_of(posting)
            sources.append(source)
            if source is None:
                continue
            name, rid, _ = source
            record_kind = _RECORD_OF.get(name)
            if record_kind is not None:
                reads.want(record_kind, "ext-" + rid if name == "refund_external" else rid)
            if name == "settle":
                node = _settled_node(posting)
                if node:
                    reads.want("history", node, rid)
            if name.startswith(("refund_", "dispute_")) and posting.ref:
                reads.want("purchase", posting.ref)  # the origin a refund may come from
            if name == "reversal" and posting.ref:
                reads.want("payout", posting.ref)
        if self.once.seen_key is not None:  # continuing from a checkpoint: ask its tag set
            reads.once = self.once
            for source in sources:
                if source is not None:
                    reads.tags.extend(self.once.mac(f) for f in _once_facts(*source))
        await reads.run()
        for posting, source in zip(postings, sources, strict=True):
            if posting.problem:
                self._flag(posting, posting.problem)
                continue
            if source is None:
                self._flag(posting, "its idempotency key names no source any lcn script posts")
                continue
            name, rid, gen = source
            reason = _JUDGES[name](self, posting, rid, gen, reads)
            if reason:
                self._flag(posting, reason)

    def finish(self, listed: int) -> ProvenanceResult:
        """Match reversals to the postings they reverse; the unproven rest, `listed` of them."""
        reversals, self._reversals = self._reversals, []
        for reversal, target in reversals:
            original = self._kept.get(target)
            mirrored = tuple(
                (b, a, x, f"reverse:{k}") for a, b, x, k in self._kept_legs.get(target, ())
            )
            if (
                original is None
                or posting_order(target) >= posting_order(reversal.posting_id)
                or reversal.legs != mirrored
            ):
                self._flag(reversal, f"it does not mirror an unproven posting {target}")
                continue
            del self._kept[target]
            self._kept_legs.pop(target, None)
            self.unproven_count -= 1
            self.reversed_count += 1
        return ProvenanceResult(
            list(self._kept.values())[:listed], self.unproven_count, self.reversed_count
        )

    def _close_hold(self, job_id: str, gen: int) -> None:
        del self._holds[(job_id, gen)]
        self._closed_holds.add(_digest(job_id, gen))

    def _flag(self, posting: Posting, reason: str) -> None:
        self.unproven_count += 1
        if len(self._kept) < KEEP_UNPROVEN:
            self._kept[posting.posting_id] = posting.unproven(reason)
            self._kept_legs[posting.posting_id] = posting.legs

    # -- one judge per source: None when proven, else why not -------------------------------

    def _hold(self, p: Posting, job_id: str, gen: int, r: _Reads) -> str | None:
        job = r.record("job", job_id)
        if job is None:
            return f"no job {job_id} exists"
        if p.kind != "hold" or p.ref != job_id or len(p.legs) != 1:
            return "it is not shaped like a job's hold"
        amount = p.legs[0][2]
        if p.legs[0] != (f"creator:{job.get('creator')}", "escrow", amount, "hold"):
            return f"it does not move money from job {job_id}'s creator into escrow"
        current = exact_int(job.get("gen")) or 0
        if gen > current:
            return f"job {job_id} has no generation {gen}"
        if gen == current and amount != exact_int(job.get("estimated_cost")):
            return f"it holds {amount} µUSD, job {job_id} holds {job.get('estimated_cost')}"
        if (job_id, gen) in self._holds or _digest(job_id, gen) in self._closed_holds:
            return f"job {job_id} was already held for generation {gen}"
        self._holds[(job_id, gen)] = (amount, p.legs[0][0])
        return None

    def _settle(self, p: Posting, job_id: str, gen: int, r: _Reads) -> str | None:
        job = r.record("job", job_id)
        if job is None:
            return f"no job {job_id} exists"
        node = _settled_node(p)
        creator = f"creator:{job.get('creator')}"
        if (
            node is None
            or p.kind != "settle"
            or p.ref != job_id
            or len(p.legs) != 3
            or (p.legs[1][0], p.legs[1][1], p.legs[1][3]) != ("escrow", "platform", "fee")
            or (p.legs[2][0], p.legs[2][1], p.legs[2][3]) != ("escrow", creator, "release")
        ):
            return "it is not shaped like a job's settlement (node, platform, creator)"
        earned, fee, back = p.legs[0][2], p.legs[1][2], p.legs[2][2]
        hold = self._holds.get((job_id, gen))
        if hold is None:
            return f"job {job_id} has no open hold for generation {gen} to settle"
        if earned + fee + back != hold[0]:
            return f"it settles {earned + fee + back} µUSD of a hold of {hold[0]}"
        if earned != (earned + fee) * NODE_SHARE_PERCENT // 100:
            return f"the node's {earned} µUSD is not 70% of the cost {earned + fee}"
        if not r.in_history(node, job_id):
            return f"node {node} never held job {job_id}"
        if gen == (exact_int(job.get("gen")) or 0) and (
            job.get("status") not in ("completed", "failed")
            or exact_int(job.get("actual_cost")) != earned + fee
            or exact_int(job.get("node_share")) != earned
            or job.get("node") != node
        ):
            return (
                f"job {job_id} records no such settlement ({job.get('status')}, cost "
                f"{job.get('actual_cost') or 'none'} on node {job.get('node') or 'none'})"
            )
        self._close_hold(job_id, gen)
        return None

    def _release(self, p: Posting, job_id: str, gen: int, r: _Reads) -> str | None:
        job = r.record("job", job_id)
        if job is None:
            return f"no job {job_id} exists"
        hold = self._holds.get((job_id, gen))
        if p.kind != "release" or p.ref != job_id or len(p.legs) != 1:
            return "it is not shaped like the release of a job's hold"
        if hold is None:
            return f"job {job_id} has no open hold for generation {gen} to release"
        if p.legs[0] != ("escrow", f"creator:{job.get('creator')}", hold[0], "release"):
            return f"it does not give job {job_id}'s hold of {hold[0]} µUSD back to its creator"
        if gen == (exact_int(job.get("gen")) or 0) and job.get("status") not in (
            "failed",
            "cancelled",
        ):
            return f"job {job_id} is {job.get('status')}, not ended unpaid"
        self._close_hold(job_id, gen)
        return None

    def _purchase(self, p: Posting, pid: str, _: int, r: _Reads) -> str | None:
        rec = r.record("purchase", pid)
        if rec is None:
            return f"no purchase {pid} exists"
        amount = exact_int(rec.get("amount"))
        if (
            rec.get("status") not in ("paid", "refunded")
            or exact_int(rec.get("paid_micro")) != amount
        ):
            return f"purchase {pid} is {rec.get('status')}, not paid"
        if rec.get("kind") == "credit":
            expected = ("world", f"creator:{rec.get('buyer')}", amount, "credit")
        else:
            expected = ("world", "platform", amount, "sale")
        if p.kind != expected[3] or p.ref != pid or p.legs != (expected,):
            return f"it does not book purchase {pid} as paid ({rec.get('kind')}, {amount} µUSD)"
        if pid in self._credited:
            return f"purchase {pid} is already booked"
        self._credited.add(pid)
        return None

    def _suspense(self, p: Posting, pid: str, _: int, r: _Reads) -> str | None:
        rec = r.record("purchase", pid)
        if rec is None:
            return f"no purchase {pid} exists"
        paid = exact_int(rec.get("paid_micro"))
        if rec.get("status") != "mismatch" or not paid or paid == exact_int(rec.get("amount")):
            return f"purchase {pid} is {rec.get('status')}, not a mismatched payment"
        expected = ("world", "suspense", paid, "suspense")
        if p.kind != "suspense" or p.ref != pid or p.legs != (expected,):
            return f"it does not book purchase {pid}'s {paid} µUSD payment to suspense"
        if pid in self._suspended:
            return f"purchase {pid}'s payment is already in suspense"
        self._suspended.add(pid)
        return None

    def _payout_reserve(self, p: Posting, payout_id: str, gen: int, r: _Reads) -> str | None:
        rec = r.record("payout", payout_id)
        if rec is None:
            return f"no payout {payout_id} exists"
        expected = (f"node:{rec.get('node')}", "payouts", exact_int(rec.get("amount")), "payout")
        if p.kind != "payout" or p.ref != payout_id or p.legs != (expected,):
            return f"it does not reserve payout {payout_id} from its node"
        if (
            gen > (exact_int(rec.get("gen")) or 0)
            or (payout_id, gen) in self._payouts
            or (payout_id, gen) in self._closed_payouts
        ):
            return f"payout {payout_id} has no such reservation {gen}"
        self._payouts[(payout_id, gen)] = p.legs[0][2]
        return None

    def _payout_exit(self, p: Posting, payout_id: str, gen: int, r: _Reads) -> str | None:
        rec = r.record("payout", payout_id)
        if rec is None:
            return f"no payout {payout_id} exists"
        paid = p.idem.startswith("payout:paid:")
        amount = exact_int(rec.get("amount"))
        if paid:
            expected, status = ("payouts", "world", amount, "payout"), "paid"
        else:
            expected = ("payouts", f"node:{rec.get('node')}", amount, "payout_release")
            status = "failed"
        if p.kind != expected[3] or p.ref != payout_id or p.legs != (expected,):
            return f"it does not settle payout {payout_id} as {status}"
        if self._payouts.get((payout_id, gen)) != amount:
            return f"payout {payout_id} has no open reservation {gen}"
        if gen == (exact_int(rec.get("gen")) or 0) and rec.get("status") != status:
            return f"payout {payout_id} is {rec.get('status')}, not {status}"
        del self._payouts[(payout_id, gen)]
        self._closed_payouts.add((payout_id, gen))
        return None

    def _refund(self, p: Posting, refund_id: str, _: int, r: _Reads) -> str | None:
        external = p.idem.startswith("refund:external:")
        rid = "ext-" + refund_id if external else refund_id
        rec = r.record("refund", rid)
        if rec is None:
            return f"no refund {rid} exists"
        origin, amount, status = (
            rec.get("origin", ""),
            exact_int(rec.get("amount")),
            rec.get("status"),
        )
        purchase = r.record("purchase", p.ref) if p.ref else None
        if purchase is None or purchase.get("id") != rec.get("purchase"):
            return f"refund {rid} names no purchase {p.ref or '(none)'}"
        if origin != _refund_origin(purchase):
            return f"refund {rid} comes from {origin}, not from what purchase {p.ref} booked"
        step = p.idem.split(":")[1]
        expected = {
            "reserve": (origin, "refunds", amount, "refund"),
            "external": (origin, "world", amount, "refund"),
            "paid": ("refunds", "world", amount, "refund"),
            "release": ("refunds", origin, amount, "refund_release"),
            "reversed": ("world", origin, amount, "refund_reversed"),
        }[step]
        if p.kind != expected[3] or p.ref != rec.get("purchase") or p.legs != (expected,):
            return f"it does not move refund {rid}'s {amount} µUSD as its {step} step"
        if step in ("reserve", "external"):
            if rid in self._refunds_seen:
                return f"refund {rid} is already booked"
            self._refunds_seen.add(rid)
            if external:
                self._refunds_out.add(rid)
            else:
                self._refunds_held[rid] = amount or 0
            return None
        if step == "reversed":
            if rid not in self._refunds_out or status != "failed":
                return f"refund {rid} was not paid out and then reversed"
            self._refunds_out.discard(rid)
            return None
        if self._refunds_held.get(rid) != amount:
            return f"refund {rid} has no open reservation"
        if step == "release" and status != "failed":
            return f"refund {rid} is {status}, not failed"
        del self._refunds_held[rid]
        if step == "paid":
            self._refunds_out.add(rid)
        return None

    def _stripe_fee(self, p: Posting, pid: str, _: int, r: _Reads) -> str | None:
        rec = r.record("purchase", pid)
        if rec is None:
            return f"no purchase {pid} exists"
        fee = exact_int(rec.get("stripe_fee"))
        if (
            rec.get("status") not in ("paid", "refunded", "mismatch")
            or not fee
            or fee > (exact_int(rec.get("paid_micro")) or 0)
        ):
            return f"purchase {pid} records no Stripe fee on a payment it received"
        if (
            p.kind != "stripe_fee"
            or p.ref != pid
            or p.legs != (("platform", "stripe_fees", fee, "stripe_fee"),)
        ):
            return f"it does not book purchase {pid}'s Stripe fee of {fee} µUSD"
        if pid in self._fees:
            return f"purchase {pid}'s Stripe fee is already booked"
        self._fees.add(pid)
        return None

    def _reversal(self, p: Posting, rid: str, _: int, r: _Reads) -> str | None:
        rec = r.record("reversal", rid)
        if rec is None:
            return f"no transfer reversal {rid} exists"
        amount = exact_int(rec.get("amount")) or 0
        payout = r.record("payout", p.ref) if p.ref else None
        if payout is None or rec.get("payout") != p.ref:
            return f"reversal {rid} names no payout {p.ref or '(none)'}"
        if payout.get("status") != "paid":
            return f"payout {p.ref} is {payout.get('status')}, not paid"
        if (
            amount <= 0
            or p.kind != "payout_reversed"
            or p.legs != (("world", "reversed", amount, "payout_reversed"),)
        ):
            return f"it does not book reversal {rid}'s {amount} µUSD back from payout {p.ref}"
        if rid in self._transfer_reversals:
            return f"reversal {rid} is already booked"
        total = self._reversed.get(p.ref, 0) + amount
        if total > (exact_int(payout.get("amount")) or 0):
            return f"the reversals of payout {p.ref} add up to more than it paid"
        self._transfer_reversals.add(rid)
        self._reversed[p.ref] = total
        return None

    def _dispute_open(self, p: Posting, du: str, _: int, r: _Reads) -> str | None:
        rec = r.record("dispute", du)
        if rec is None:
            return f"no dispute {du} exists"
        purchase = r.record("purchase", p.ref) if p.ref else None
        if purchase is None or rec.get("purchase") != p.ref:
            return f"dispute {du} names no purchase {p.ref or '(none)'}"
        if purchase.get("status") not in ("paid", "refunded", "mismatch"):
            return f"purchase {p.ref} is {purchase.get('status')}, not paid"
        origin = rec.get("origin", "")
        if origin != _refund_origin(purchase):
            return f"dispute {du} comes from {origin}, not from what purchase {p.ref} booked"
        amount, fee = exact_int(rec.get("amount")), exact_int(rec.get("fee"))
        mine = exact_int(rec.get("from_origin"))
        paid = exact_int(purchase.get("paid_micro")) or 0
        if (
            amount is None
            or fee is None
            or mine is None
            or not 0 < amount <= paid
            or not 0 <= mine <= amount
            or fee < 0
            or (origin == "platform" and mine != 0)
        ):
            return f"dispute {du} records amounts its purchase {p.ref} does not back"
        expected = (
            (origin, "disputes", mine, "dispute"),
            ("platform", "disputes", amount - mine, "dispute"),
            ("platform", "stripe_fees", fee, "dispute_fee"),
        )
        if p.kind != "dispute" or p.legs != expected:
            return f"it does not hold dispute {du}'s {amount} µUSD and its fee"
        if du in self._disputes:
            return f"dispute {du} is already booked"
        self._disputes.add(du)
        self._disputes_open[du] = (origin, amount, mine, fee)
        return None

    def _dispute_close(self, p: Posting, du: str, _: int, r: _Reads) -> str | None:
        rec = r.record("dispute", du)
        outcome = "won" if p.idem.startswith("dispute:won:") else "lost"
        opened = self._disputes_open.get(du)
        if rec is None or opened is None:
            return f"dispute {du} is not open"
        if rec.get("status") != outcome:
            return f"dispute {du} is {rec.get('status')}, not {outcome}"
        origin, amount, mine, fee = opened
        if outcome == "won":
            back = exact_int(rec.get("fee_back"))
            if back is None or not 0 <= back <= fee:
                return f"dispute {du} returns a fee it was not charged"
            expected: tuple[Leg, ...] = (
                ("disputes", origin, mine, "dispute_won"),
                ("disputes", "platform", amount - mine, "dispute_won"),
                ("stripe_fees", "platform", back, "dispute_won"),
            )
        else:
            expected = (("disputes", "world", amount, "dispute_lost"),)
        if p.kind != f"dispute_{outcome}" or p.ref != rec.get("purchase") or p.legs != expected:
            return f"it does not close dispute {du} as {outcome}"
        del self._disputes_open[du]
        return None

    def _reverse(self, p: Posting, target: str, _: int, __: _Reads) -> str | None:
        if p.kind != "reverse" or p.ref != target or not p.legs:
            return "it is not shaped like an operator's reversal"
        self._reversals.append((p, target))
        return None


def _refund_origin(purchase: dict[str, str]) -> str:
    """Where a refund of a purchase comes from: what its payment was booked to."""
    if purchase.get("status") == "mismatch":
        return "suspense"  # it arrived but was never credited
    if purchase.get("kind") == "credit":
        return f"creator:{purchase.get('buyer')}"
    return "platform"


def _digest(job_id: str, gen: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"{job_id}:{gen}".encode(), digest_size=8).digest())


def _settled_node(p: Posting) -> str | None:
    if not p.legs:
        return None
    source, target, _, kind = p.legs[0]
    if source != "escrow" or kind != "earn" or not target.startswith("node:"):
        return None
    return target[5:]


_RECORD_OF = {
    "hold": "job",
    "settle": "job",
    "release": "job",
    "purchase": "purchase",
    "suspense": "purchase",
    "payout_reserve": "payout",
    "payout_paid": "payout",
    "payout_release": "payout",
    "refund_reserve": "refund",
    "refund_paid": "refund",
    "refund_release": "refund",
    "refund_reversed": "refund",
    "refund_external": "refund",
    "stripe_fee": "purchase",
    "reversal": "reversal",
    "dispute_open": "dispute",
    "dispute_won": "dispute",
    "dispute_lost": "dispute",
}
Judge = Callable[[Provenance, Posting, str, int, _Reads], str | None]
_JUDGES: dict[str, Judge] = {
    "hold": Provenance._hold,
    "settle": Provenance._settle,
    "release": Provenance._release,
    "purchase": Provenance._purchase,
    "suspense": Provenance._suspense,
    "payout_reserve": Provenance._payout_reserve,
    "payout_paid": Provenance._payout_exit,
    "payout_release": Provenance._payout_exit,
    "refund_reserve": Provenance._refund,
    "refund_paid": Provenance._refund,
    "refund_release": Provenance._refund,
    "refund_reversed": Provenance._refund,
    "refund_external": Provenance._refund,
    "stripe_fee": Provenance._stripe_fee,
    "reversal": Provenance._reversal,
    "dispute_open": Provenance._dispute_open,
    "dispute_won": Provenance._dispute_close,
    "dispute_lost": Provenance._dispute_close,
    "reverse": Provenance._reverse,
}
