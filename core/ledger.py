"""The double-entry ledger: integer micro-USD, every posting idempotent by key.

Balances live in one hash, every posting in an append-only journal stream. Money only moves
between two accounts at once, so the sum of all balances (the external `world` account
included) is always exactly 0. Job holds and settlements are posted by the job scripts through
the same Lua helper (`post` in lua/include/lib.lua).

Balanced is not enough: the check also proves each posting's source (core/provenance.py), and
payouts are refused while any money in the books is unproven (`require_payable`). `post` here
is a bare primitive for tests and tools: its postings name no source, so the check flags them.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import Field
from redis.exceptions import ResponseError

from core import ledger_checkpoint as checkpoints
from core import ledger_history
from core.errors import Conflict, InvalidInput, NotFound
from core.models.base import WireModel
from core.provenance import Once, Posting, Provenance, UnprovenPosting, posting_order
from core.provenance import parse as parse_posting
from core.store import Store, calls

if TYPE_CHECKING:  # the archive's drivers load only when a check reads it
    from core.archive import Archive

WORLD = "world"
PLATFORM = "platform"
ESCROW = "escrow"
MAX_POSTING = 10**13
POSTING_ID_RE = re.compile(r"\A[0-9]{1,20}-[0-9]{1,20}\Z")
ACCOUNT_RE = re.compile(
    r"^(world|platform|escrow|payouts|refunds|creator:0x[0-9a-fA-F]{40}|node:[a-z0-9]{10,100})$"
)


def node_account(node_id: str) -> str:
    return f"node:{node_id}"


def creator_account(address: str) -> str:
    return f"creator:{address}"


async def post(
    store: Store,
    from_account: str,
    to_account: str,
    amount: int,
    idem: str,
    kind: str,
    ref: str = "",
) -> bool:
    """Move `amount` micro-USD; False when this idempotency key was already posted."""
    for account in (from_account, to_account):
        if not ACCOUNT_RE.fullmatch(account):
            raise InvalidInput(f"{account!r} is not a ledger account.")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_POSTING:
        raise InvalidInput("A posting amount must be a whole number of micro-USD from 0 to 1e13.")
    return await calls.post_transfer(store, from_account, to_account, amount, idem, kind, ref)


async def balances(store: Store) -> dict[str, int]:
    raw = await store.redis.hgetall(store.keys.balances)
    return {k.decode(): int(v) for k, v in raw.items()}


async def balance(store: Store, account: str) -> int:
    value = await store.redis.hget(store.keys.balances, account)
    return int(value or 0)


def journal_legs(fields: dict[bytes, bytes]) -> list[tuple[str, str, int, str]]:
    """The legs of one journal entry: (from, to, micro-USD, kind)."""
    legs = json.loads(fields[b"legs"])
    return [(str(a), str(b), int(amount), str(kind)) for a, b, amount, kind in legs]


LISTED_UNPROVEN = 1000  # unproven postings a check lists by id (the count covers them all)
LASTCHECK_IDS = 20  # of those, how many the recorded last check names


class LedgerCheck(WireModel):
    balanced: bool
    total: int = Field(description="Sum of all balances, micro-USD; 0 when balanced.")
    accounts: int
    postings: int
    journal_matches_balances: bool
    earnings_mismatches: list[dict[str, Any]]
    proven: bool = Field(description="Every posting is backed by the source its key names.")
    unproven_count: int
    unproven: list[UnprovenPosting] = Field(description="The unproven postings, by journal id.")
    reversed_postings: int = Field(description="Unproven postings an operator reversed.")
    problems: list[str]
    replayed: int = Field(
        default=0, description="Postings this check replayed (after the checkpoint it began at)."
    )
    from_checkpoint: str = Field(
        default="", description="The journal id of the signed checkpoint it began at; empty: all."
    )
    checkpoint_note: str = Field(
        default="", description="Why it did not begin at the newest checkpoint, if it did not."
    )
    checkpoint_written: bool = Field(default=False, description="It saved a new checkpoint.")
    full_history: bool = Field(
        default=False, description="It replayed the whole history, archive and journal."
    )
    archived: int = Field(default=0, description="Postings of that history the archive holds.")

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def payable(self) -> bool:
        """The money in the books is real: it balances, the balances are the journal's, and
        every posting is proven. (A node's `earnings` counter is display only, not money.)"""
        return self.balanced and self.journal_matches_balances and self.proven


async def check(
    store: Store, *, chunk: int = 5000, full: bool = False, archive: Archive | None = None
) -> LedgerCheck:
    """Verify the invariant, replay the postings against the balances, prove every posting's
    source (core/provenance.py), and compare every node's recorded earnings with what the
    ledger paid it.

    Balances, the journal's last id and the newest checkpoint are read at one instant; the
    replay stops where the balances were read, so postings landing meanwhile never make a live
    pool look wrong. From a trusted checkpoint it replays only the journal after it. With
    `full`, or with no checkpoint to trust, it replays the whole history: the archived postings
    and the journal merged (core/ledger_history.py; the archive is `archive`, else the store's),
    and checks it against the trusted checkpoint at its position. It then saves a new signed
    checkpoint (core/ledger_checkpoint.py)."""
    key = checkpoints.signing_key(store.data_dir)
    snap = await checkpoints.snapshot(store)
    trusted, note = checkpoints.verify(snap, key, store.pool)
    if full:
        note = ""
    whole = full or trusted is None
    if whole and archive is None and store.archive is not None:
        archive = await store.archive.get()
    archived_any = (
        whole and archive is not None and await archive.last_stream_id("postings") is not None
    )
    # Archived postings' records may have left Redis with them: they are proven by the chain of
    # checkpoints that covered them, so a full check over an archive goes on with that chain.
    base = trusted if not whole or archived_any else None
    epoch = base.epoch if base else checkpoints.new_epoch()
    once = Once(
        checkpoints.tag_mac(key, epoch),
        seen_key=checkpoints.seen_key(store) if base else None,
        seen_upto=base.seq if base else 0,
    )
    proof = Provenance(store, once)
    problems: list[str] = []
    unvouched = False  # the history disagrees with the archive or the checkpoint
    if base is not None:
        proof.restore(base.provenance)
    last_id = snap.last_id
    fresh = 0

    async def feed(parsed: list[Posting]) -> None:
        nonlocal fresh
        await proof.feed(parsed)
        fresh += len(parsed)

    if whole:
        gone = await _trimmed(store)  # before the replay: a trim meanwhile adds to the archive
        history = await ledger_history.replay(
            store,
            archive,
            last_id,
            mark=_mark(trusted),
            feed=feed,
            feed_after=base.position if base else "",
            chunk=chunk,
        )
        sums = history.sums
        problems += history.problems
        unvouched = bool(history.problems) or (base is None and history.archived_only > 0)
        archived = history.from_archive
        if base is None and history.archived_only:
            problems.append(
                f"{history.archived_only} archived postings are no longer in the journal and no "
                "trusted checkpoint vouches for their sources: "
                + (note or "there is no checkpoint")
                + f" (restore the {checkpoints.KEY_ENV} or ledger.key that signed it)."
            )
        digest = sums.digest.hex()
        unarchived = gone - history.archived_only - history.lost_from_journal.n
        if archive is None and gone:
            problems.append(
                f"{gone} postings were trimmed from the journal but the archive cannot be read, "
                "so the full history cannot be checked (see LCN_ARCHIVE_URL)."
            )
            unvouched = True
        elif unarchived > 0:
            problems.append(
                f"{unarchived} "
                + ("posting" if unarchived == 1 else "postings")
                + " left the journal (trimmed or deleted) that the archive does not hold."
            )
            unvouched = True
    else:
        assert base is not None
        archived = 0
        sums = ledger_history.Sums(postings=base.postings, digest=bytes.fromhex(base.digest))
        sums.balances.update(base.balances)
        sums.earned.update(base.earned)
        start = "(" + base.position if base.position else "-"
        if base.position == last_id:
            last_id = ""  # nothing was posted since the checkpoint
        while last_id:
            batch = await store.redis.xrange(
                store.keys.journal, min=start, max=last_id, count=chunk
            )
            parsed = [parse_posting(entry_id, fields) for entry_id, fields in batch]
            for posting in parsed:
                sums.add(posting)
            await feed(parsed)
            if len(batch) < chunk:
                break
            start = "(" + batch[-1][0].decode()
        digest = sums.digest.hex() if base.digest or not base.postings else ""
    replayed, earned = sums.balances, sums.earned
    provenance = proof.finish(LISTED_UNPROVEN)
    current = snap.balances
    total = sum(current.values())
    if total != 0:
        problems.append(f"The balances sum to {total} micro-USD instead of 0.")
    differing = {a for a in set(current) | set(replayed) if current.get(a, 0) != replayed.get(a, 0)}
    if differing:
        where = "the full history (archive and journal)" if whole else "the journal"
        problems.append(
            f"{len(differing)} account balances differ from {where}, e.g. {sorted(differing)[0]}."
        )
    if provenance.unproven_count:
        first = provenance.unproven[0] if provenance.unproven else None
        problems.append(
            f"{provenance.unproven_count} "
            + ("posting has" if provenance.unproven_count == 1 else "postings have")
            + " no proven source"
            + (f", e.g. {first.posting_id} ({first.idem}): {first.reason}." if first else ".")
        )
    mismatches = await _earnings_mismatches(store, earned, snap.last_id)
    if mismatches:
        problems.append(f"{len(mismatches)} nodes' recorded earnings differ from the ledger.")
    written = False
    # A history that disagrees with the archive or the checkpoint is never signed over: the
    # next check would start from it and the finding would be gone.
    # (Tags of jobs the archiver removed are dropped by the archiver: checkpoints.prune.)
    if key is not None and (fresh or base is None or whole) and not unvouched:
        written = await checkpoints.write(
            store,
            key,
            base=base,
            base_sig=base.sig if base else snap.sig,
            epoch=epoch,
            books=checkpoints.Books(
                snap.last_id, sums.postings, dict(replayed), dict(earned), proof.state(), digest
            ),
            added=once.added,
        )
    return LedgerCheck(
        balanced=total == 0,
        total=total,
        accounts=len(current),
        postings=sums.postings,
        journal_matches_balances=not differing,
        earnings_mismatches=mismatches,
        proven=provenance.unproven_count == 0,
        unproven_count=provenance.unproven_count,
        unproven=provenance.unproven,
        reversed_postings=provenance.reversed_count,
        problems=problems,
        replayed=fresh,
        from_checkpoint=base.position if base else "",
        checkpoint_note=note,
        checkpoint_written=written,
        archived=archived,
        full_history=whole,
    )


async def _trimmed(store: Store) -> int:
    """How many entries left the journal (trimmed, or deleted): 0 when none did, or the server
    does not count them (before Redis 7)."""
    try:
        info = await store.redis.xinfo_stream(store.keys.journal)
    except ResponseError:  # no journal yet
        return 0
    return max(0, int(info.get("entries-added", 0)) - int(info["length"]))


def _mark(trusted: checkpoints.Checkpoint | None) -> ledger_history.Mark | None:
    if trusted is None:
        return None
    return ledger_history.Mark(
        trusted.position, trusted.postings, trusted.balances, trusted.earned, trusted.digest
    )


_add_legs = ledger_history.add_legs


def _lastcheck_key(store: Store) -> str:
    return store.keys.ledger_lastcheck


async def record_check(store: Store, result: LedgerCheck) -> None:
    """Keep the result where the console's triage and the payout scripts read it: one HSET of
    a fixed set of fields, so a reader never sees half of two checks."""
    await store.redis.hset(
        _lastcheck_key(store),
        mapping={
            "balanced": int(result.ok),  # the triage's flag: the whole check passed
            "payable": int(result.payable),  # reserve_payout.lua refuses while this is 0
            "checked_at": int(time.time() * 1000),
            "problems": " ".join(result.problems),
            "postings": result.postings,
            "unproven": result.unproven_count,
            "unproven_ids": " ".join(u.posting_id for u in result.unproven[:LASTCHECK_IDS]),
        },
    )


async def require_payable(store: Store) -> LedgerCheck:
    """Check the books now and record the result; refuse when money in them is not proven.

    Payouts are the one way money minted inside the ledger could leave it, and credit minted
    for a creator can be spent on real jobs and so reach any node's earnings: while the check
    fails, no payout is made at all."""
    result = await check(store)
    await record_check(store, result)
    if not result.payable:
        raise Conflict(
            "No payout is made while the ledger check fails ("
            + " ".join(p.rstrip(".") + ";" for p in result.problems).rstrip(";")
            + "); see `lcn ledger check`."
        )
    return result


class Reversal(WireModel):
    posting_id: str = Field(description="The unproven posting that was reversed.")
    reversal_id: str = Field(description="The journal id of the mirrored entry.")
    check: LedgerCheck = Field(description="The books after the reversal.")

    def __str__(self) -> str:
        return f"posting {self.posting_id} reversed by {self.reversal_id}"


async def reverse(store: Store, posting_id: str) -> Reversal:
    """Neutralise a posting the check cannot prove with its mirror image (every leg moved
    back), then check and record the books again. A proven posting is never reversed: its
    source would then disagree with the ledger."""
    if not POSTING_ID_RE.match(posting_id):
        raise InvalidInput(f"{posting_id!r} is not a journal posting id like 1700000000000-0.")
    before = await check(store)
    if not any(u.posting_id == posting_id for u in before.unproven):
        found = await store.redis.xrange(store.keys.journal, min=posting_id, max=posting_id)
        if not found:
            raise NotFound(f"No posting {posting_id} in the journal.")
        if await store.redis.hexists(store.keys.ledger_idem, f"reverse:{posting_id}"):
            raise Conflict(f"Posting {posting_id} is already reversed.")
        raise Conflict(
            f"Posting {posting_id} is proven by its source (or not among the "
            f"{LISTED_UNPROVEN} listed unproven ones); only an unproven posting is reversed."
        )
    reversal_id = (await calls.reverse_posting(store, posting_id))["reversalId"]
    after = await check(store)
    await record_check(store, after)
    return Reversal(posting_id=posting_id, reversal_id=reversal_id, check=after)


async def _earnings_mismatches(
    store: Store, earned: dict[str, int], last_id: str
) -> list[dict[str, Any]]:
    """Nodes whose `earnings` counter differs from what the journal paid them up to `last_id`.

    The counters are read after the snapshot, so a settlement landing meanwhile is in a counter
    but not in the replay: each differing node is read again with the journal's last id at one
    instant (ledger_earnings.lua) and the earnings posted in between are added before it counts."""
    differing: dict[str, int] = {}
    cursor = 0
    while True:
        cursor, members = await store.redis.zscan(store.keys.nodes_all, cursor, count=1000)
        ids = [m.decode() for m, _ in members]
        async with store.redis.pipeline(transaction=False) as pipe:
            for node_id in ids:
                pipe.hget(store.keys.node(node_id), "earnings")
            recorded = await pipe.execute()
        for node_id, value in zip(ids, recorded, strict=True):
            if int(value or 0) != earned.get(node_id, 0):
                differing[node_id] = int(value or 0)
        if cursor == 0:
            break
    if differing and last_id:
        nodes = sorted(differing)[:LISTED_UNPROVEN]
        later_id, counters = await calls.ledger_earnings(store, nodes)
        since: dict[str, int] = defaultdict(int)
        start = "(" + last_id
        while later_id and posting_order(later_id) > posting_order(last_id):
            batch = await store.redis.xrange(
                store.keys.journal, min=start, max=later_id, count=5000
            )
            _add_legs([parse_posting(i, f) for i, f in batch], defaultdict(int), since)
            if len(batch) < 5000:
                break
            start = "(" + batch[-1][0].decode()
        for node_id, value in zip(nodes, counters, strict=True):
            if value == earned.get(node_id, 0) + since.get(node_id, 0):
                del differing[node_id]
    return [
        {"nodeId": n, "recorded": have, "ledger": earned.get(n, 0)}
        for n, have in sorted(differing.items())
    ]
