"""The ledger's whole history: the archived postings (the archive's `postings` table) merged with
the live journal in Redis, read in batches, each posting counted once.

The archiver copies the journal to the archive up to a signed checkpoint and then trims it from
Redis (core/swarm/archive_streams.py), so the oldest postings may be only in the archive, the
newest only in Redis, and those in between in both. Both are read in stream order, a batch at a
time (memory stays bounded at millions of postings), and merged by stream id:

* in both: the two copies must be the same posting (else the archived one was changed);
* only in the archive, and older than the journal's first entry: trimmed, as expected; newer
  than that: the journal lost it (deleted from Redis);
* only in the journal, and no newer than the archive's last entry: the archive lost it.

Every posting adds to the balances, the node earnings, a count and a running digest (SHA-256
over the previous digest and the posting). A signed checkpoint records the count, balances,
earnings and digest at its position (core/ledger_checkpoint.py), so the replay compares them
there: a posting changed, removed or added anywhere before the checkpoint, in the archive or in
Redis, shows as a count, digest or balance that disagrees with what the checkpoint signed.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.provenance import Posting, posting_order
from core.provenance import parse as parse_posting
from core.store import Store

if TYPE_CHECKING:  # the archive's drivers load only when a check reads it
    from core.archive import Archive
    from core.archive import Posting as ArchivedPosting

CHUNK = 5000


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def canonical(posting: Posting) -> bytes:
    """The posting as the digest sees it: the same bytes from the journal and from the archive
    (compact JSON of its fields, the legs as arrays; null legs for an unreadable entry)."""
    legs = posting.legs if posting.problem is None else None
    return _encode((posting.posting_id, posting.idem, posting.kind, posting.ref, legs)).encode()


def chain(digest: bytes, posting: Posting) -> bytes:
    return hashlib.sha256(digest + canonical(posting)).digest()


def add_legs(postings: list[Posting], balances: dict[str, int], earned: dict[str, int]) -> None:
    for posting in postings:
        for source, target, amount, kind in posting.legs:
            balances[source] -= amount
            balances[target] += amount
            if kind == "earn" and target.startswith("node:"):
                earned[target[5:]] += amount
            elif kind == "reverse:earn" and source.startswith("node:"):
                earned[source[5:]] -= amount  # an operator took a forged earning back


@dataclass
class Sums:
    """What the postings replayed so far add up to."""

    postings: int = 0
    balances: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    earned: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    digest: bytes = b""

    def add(self, posting: Posting) -> None:
        balances, earned = self.balances, self.earned
        for source, target, amount, kind in posting.legs:
            balances[source] -= amount
            balances[target] += amount
            if kind == "earn" and target.startswith("node:"):
                earned[target[5:]] += amount
            elif kind == "reverse:earn" and source.startswith("node:"):
                earned[source[5:]] -= amount
        self.postings += 1
        self.digest = chain(self.digest, posting)


@dataclass(frozen=True)
class Mark:
    """What a signed checkpoint says the history adds up to at its position."""

    position: str
    postings: int
    balances: dict[str, int]
    earned: dict[str, int]
    digest: str  # hex; '' for a checkpoint written before digests were kept


@dataclass
class _Count:
    n: int = 0
    first: str = ""

    def add(self, posting_id: str) -> None:
        self.n += 1
        self.first = self.first or posting_id


@dataclass
class History:
    sums: Sums = field(default_factory=Sums)
    archived_only: int = 0  # postings only the archive holds (trimmed from the journal)
    from_archive: int = 0  # postings the archive holds (up to the replay's end)
    changed: _Count = field(default_factory=_Count)
    lost_from_journal: _Count = field(default_factory=_Count)
    lost_from_archive: _Count = field(default_factory=_Count)
    unreadable: _Count = field(default_factory=_Count)
    mark_problems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found: list[str] = []
        if self.changed.n:
            found.append(
                f"{_n(self.changed.n)} in the archive differ from the journal's copy, "
                f"e.g. {self.changed.first}."
            )
        if self.lost_from_journal.n:
            found.append(
                f"{_n(self.lost_from_journal.n)} in the archive are missing from the journal "
                f"after its first entry, e.g. {self.lost_from_journal.first}."
            )
        if self.lost_from_archive.n:
            found.append(
                f"{_n(self.lost_from_archive.n)} archived before the archive's newest are "
                f"missing from it, e.g. {self.lost_from_archive.first}."
            )
        if self.unreadable.n:
            found.append(
                f"{_n(self.unreadable.n)} in the archive cannot be read as postings, "
                f"e.g. {self.unreadable.first}."
            )
        return found + self.mark_problems


def _n(count: int) -> str:
    return "1 posting" if count == 1 else f"{count} postings"


def _from_archive(row: ArchivedPosting) -> Posting:
    entry = {b"idem": row.idem, b"kind": row.kind, b"ref": row.ref}
    fields = {k: v.encode() for k, v in entry.items()}
    fields[b"legs"] = json.dumps(row.legs, separators=(",", ":")).encode()
    return parse_posting(row.id, fields)


class _Source:
    """One ordered source of postings, read a batch at a time."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[list[Posting]]], chunk: int) -> None:
        self.fetch, self.chunk = fetch, chunk
        self.buffer: deque[Posting] = deque()
        self.after: str | None = None
        self.done = False

    async def peek(self) -> Posting | None:
        if not self.buffer and not self.done:
            batch = await self.fetch(self.after)
            self.done = len(batch) < self.chunk
            if batch:
                self.after = batch[-1].posting_id
            self.buffer.extend(batch)
        return self.buffer[0] if self.buffer else None

    def pop(self) -> Posting:
        return self.buffer.popleft()


async def replay(
    store: Store,
    archive: Archive | None,
    upto: str,
    *,
    mark: Mark | None,
    feed: Callable[[list[Posting]], Awaitable[None]],
    feed_after: str = "",
    chunk: int = CHUNK,
) -> History:
    """Replay the whole history up to the journal id `upto` (inclusive), comparing it with the
    checkpoint `mark` at its position. The postings after `feed_after` ('' : all) that the
    journal still holds are handed to `feed` in order, a batch at a time (the provenance check:
    the records of postings only the archive holds may have left Redis with them)."""
    history = History()
    end = posting_order(upto) if upto else (-1, -1)
    archive_last = await archive.last_stream_id("postings") if archive is not None else None
    if archive_last is not None and posting_order(archive_last) > end:
        archive_last = upto or None

    journal_first: tuple[int, int] | None = None  # the journal's first entry, when last read

    async def archived(after: str | None) -> list[Posting]:
        assert archive is not None
        rows = await archive.list_postings(after=after, limit=chunk)
        batch: list[Posting] = []
        for row in rows:
            posting = _from_archive(row)
            if posting_order(posting.posting_id) > end:
                return batch  # archived after this replay's snapshot: the next check's
            batch.append(posting)
        return batch

    async def journal(after: str | None) -> list[Posting]:
        nonlocal journal_first
        start = "-" if after is None else "(" + after
        if archive is None:  # nothing could be read on there
            found = await store.redis.xrange(store.keys.journal, min=start, max=upto, count=chunk)
            return [parse_posting(entry_id, fields) for entry_id, fields in found]
        async with store.redis.pipeline(transaction=False) as pipe:
            pipe.xrange(store.keys.journal, min="-", max="+", count=1)
            pipe.xrange(store.keys.journal, min=start, max=upto, count=chunk)
            first, found = await pipe.execute()
        if first:
            journal_first = posting_order(first[0][0].decode())
            if after is not None and journal_first > posting_order(after):
                # The archiver trimmed past this replay while it read: what it trimmed is in
                # the archive now, after what the archive source has read, so read on there.
                arch.done = False
        return [parse_posting(entry_id, fields) for entry_id, fields in found]

    async def nothing(after: str | None) -> list[Posting]:
        return []

    arch = _Source(archived if archive is not None else nothing, chunk)
    jour = _Source(journal if upto else nothing, chunk)
    taken = (-1, -1)  # the newest posting replayed so far
    last_archived = posting_order(archive_last) if archive_last else (-1, -1)
    mark_at = posting_order(mark.position) if mark and mark.position else None
    after = posting_order(feed_after) if feed_after else (-1, -1)
    pending: list[Posting] = []
    while True:
        j = await jour.peek()  # first: reading the journal may find it trimmed past this replay
        a = await arch.peek()
        if a is None and j is None:
            break
        a_at = posting_order(a.posting_id) if a else None
        j_at = posting_order(j.posting_id) if j else None
        nearest = min(x for x in (a_at, j_at) if x is not None)
        if mark is not None and mark_at is not None and nearest > mark_at:
            history.mark_problems = _compare(history.sums, mark)
            mark_at = None
        if a is not None and a_at is not None and a_at <= taken:
            arch.pop()  # read from the journal already, archived (and trimmed) since
            continue
        if a is not None and (j_at is None or (a_at is not None and a_at < j_at)):
            posting, live = arch.pop(), False
            history.from_archive += 1
            if posting.problem:
                history.unreadable.add(posting.posting_id)
            at = posting_order(posting.posting_id)
            if journal_first is not None and at >= journal_first:
                # The archiver may have trimmed the journal since it was last read: what lies
                # before the journal's first entry now was trimmed, not lost.
                journal_first = await _first_entry(store) or journal_first
            if journal_first is None or at < journal_first:
                history.archived_only += 1
            else:
                history.lost_from_journal.add(posting.posting_id)
        elif a is None or (j_at is not None and a_at is not None and j_at < a_at):
            posting, live = jour.pop(), True
            if j_at is not None and j_at <= last_archived:
                history.lost_from_archive.add(posting.posting_id)
        else:
            kept, posting, live = arch.pop(), jour.pop(), True
            history.from_archive += 1
            if canonical(kept) != canonical(posting):
                history.changed.add(posting.posting_id)  # the journal's copy is what was posted
        history.sums.add(posting)
        taken = posting_order(posting.posting_id)
        if live and taken > after:
            pending.append(posting)
        if len(pending) >= chunk:
            await feed(pending)
            pending = []
    if pending:
        await feed(pending)
    if mark_at is not None and mark is not None:
        history.mark_problems = _compare(history.sums, mark)
    return history


async def _first_entry(store: Store) -> tuple[int, int] | None:
    found = await store.redis.xrange(store.keys.journal, min="-", max="+", count=1)
    return posting_order(found[0][0].decode()) if found else None


def _compare(sums: Sums, mark: Mark) -> list[str]:
    """How the history up to a checkpoint's position disagrees with what the checkpoint signed."""
    at = f"the checkpoint at {mark.position}"
    if sums.postings != mark.postings:
        missing = mark.postings - sums.postings
        return [
            f"The full history holds {sums.postings} postings up to {at}, which signed "
            f"{mark.postings}: {abs(missing)} " + ("missing." if missing > 0 else "too many.")
        ]
    problems = []
    if mark.digest and sums.digest.hex() != mark.digest:
        problems.append(
            f"The postings up to {at} are not the ones it signed: one was changed in the "
            "archive or the journal."
        )
    mine = {a: v for a, v in sums.balances.items() if v}
    differing = sorted(
        a for a in set(mine) | set(mark.balances) if mine.get(a) != mark.balances.get(a)
    )
    if differing:
        problems.append(
            f"{len(differing)} account balances over the full history up to {at} differ from "
            f"what it signed, e.g. {differing[0]}."
        )
    earned = {n: v for n, v in sums.earned.items() if v}
    if earned != mark.earned:
        nodes = sorted(
            n for n in set(earned) | set(mark.earned) if earned.get(n) != mark.earned.get(n)
        )
        problems.append(
            f"{len(nodes)} nodes' earnings over the full history up to {at} differ from what it "
            f"signed, e.g. {nodes[0]}."
        )
    return problems
