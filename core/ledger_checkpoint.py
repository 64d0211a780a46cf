"""Signed checkpoints of the ledger check, so a check costs what was posted since the last one.

A checkpoint is what a check knew when it stopped: the journal position it reached, the
balances and node earnings the journal adds up to there, and the provenance state needed to go
on (open holds, payouts and refunds in flight, the unproven postings and their count). The next
check verifies its signature, starts from it and replays only the postings after it, then
writes a new one; `lcn ledger check --full` replays everything and starts a new chain.

The facts that may happen only once (a job generation's hold closed, a purchase booked…) grow
with the journal, so they are not in the checkpoint's body: each is a sorted-set member in Redis
(`ledger:checkpoint:seen`), a MAC of the fact, scored by the checkpoint that added it; a check
asks for the few it needs with the records of each chunk. The set's size is signed, so a member
taken away is noticed. It is bounded by what Redis still holds: when the archiver removes a job
it lists it (`ledger:checkpoint:prune`), and after each run re-signs the newest checkpoint without
those jobs' hold tags and with the smaller count (`prune`), so the set does not wait for the next
check. That weakens nothing: every script that posts for a job reads its hash first, so nothing
can post for a removed job again, and a copied hold or settlement of one names a job that no
longer exists (unproven); a job listed while still in Redis keeps them.
The checkpoint also signs a running digest of every posting up to its position, which the full
check compares with the archived history (core/ledger_history.py).

Why signed, and with a key outside Redis: the threat is someone with write access to Redis.
Postings they forge are caught by the replay, but a checkpoint they forge could say the journal
up to its end adds up to balances that include their money, and the next check would start from
it. An HMAC with a key Redis never sees (`LCN_LEDGER_KEY`, or `ledger.key` in the data dir, mode
0600, made on first use) is what makes the signature mean something: a Redis password does not
give the key. Every process that checks the books must use the same key; a checkpoint that does
not verify is not trusted: the check replays the whole journal and writes a new chain. What the
signature cannot stop: someone able to write Redis who takes one tag out of the set and puts a
random one in keeps its size. That is no more than they can do already (a forged job record with
its hold and settlement is consistent too); `--full` rebuilds the set from the journal.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from core.errors import Conflict, LcnError, SetupError
from core.provenance import job_hold_facts, posting_order
from core.store import Store, calls

KEY_ENV = "LCN_LEDGER_KEY"
KEY_FILE = "ledger.key"
VERSION = 1
TAG_BYTES = 12
NEXT_SET_TTL_MS = 3_600_000  # a full check's new set, until its checkpoint takes it over


def checkpoint_key(store: Store) -> str:
    return store.keys.ledger_checkpoint


def seen_key(store: Store) -> str:
    return store.keys.ledger_checkpoint_seen


def signing_key(data_dir: Path | None) -> bytes | None:
    """The checkpoint key: `LCN_LEDGER_KEY`, else `ledger.key` in the data dir (made 0600 on
    first use). None when neither can be had: checks then replay everything and sign nothing."""
    env = os.environ.get(KEY_ENV, "")
    if env:
        if len(env) < 32:
            raise SetupError(f"{KEY_ENV} must be at least 32 characters long.")
        return env.encode()
    if data_dir is None:
        return None
    path = data_dir / KEY_FILE
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError):
        return None
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        temp = data_dir / f".{KEY_FILE}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temp, path)  # atomic: when two processes race, both read the winner's key
        except FileExistsError:
            pass
        finally:
            temp.unlink()
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        return None


def key_id(key: bytes) -> str:
    return hmac.digest(key, b"lcn ledger checkpoint key", "sha256")[:6].hex()


def sign(key: bytes, body: bytes) -> str:
    return hmac.digest(key, body, "sha256").hex()


def tag_mac(key: bytes | None, epoch: str) -> Callable[[str], bytes]:
    """How a once-only fact becomes a set member: a MAC, so no one without the key can add one."""
    if key is None:
        return lambda fact: hashlib.blake2b(fact.encode(), digest_size=8).digest()
    salt = epoch.encode() + b"|"

    def mac(fact: str) -> bytes:
        return hmac.digest(key, salt + fact.encode(), "sha256")[:TAG_BYTES]

    return mac


# Balances, the journal's last id and the newest checkpoint, read at one instant.
Snapshot = calls.LedgerSnapshot


async def snapshot(store: Store) -> Snapshot:
    return await calls.ledger_snapshot(store)


@dataclass
class Books:
    """What a checkpoint vouches for: the journal position it reached, the sums up to there and
    the provenance state a check goes on from."""

    position: str
    postings: int
    balances: dict[str, int]
    earned: dict[str, int]
    provenance: dict[str, Any]
    digest: str = ""  # the history's running digest at `position` (core/ledger_history.py)


@dataclass
class Checkpoint:
    epoch: str
    seq: int
    position: str
    postings: int
    balances: dict[str, int]
    earned: dict[str, int]
    provenance: dict[str, Any]
    seen_count: int
    sig: str
    digest: str = ""  # the history's running digest at `position` (core/ledger_history.py)

    def books(self) -> Books:
        return Books(
            self.position, self.postings, self.balances, self.earned, self.provenance, self.digest
        )


def verify(snap: Snapshot, key: bytes | None, pool: str) -> tuple[Checkpoint | None, str]:
    """The newest checkpoint if it can be trusted, else None and why not (empty: there is none)."""
    if not snap.body:
        return None, ""
    if key is None:
        return None, "no checkpoint key here (set LCN_LEDGER_KEY or a writable data dir)"
    try:
        raw = json.loads(snap.body)
        signed_by = raw.get("keyId") if isinstance(raw, dict) else None
    except ValueError:
        raw, signed_by = None, None
    if not hmac.compare_digest(sign(key, snap.body), snap.sig):
        if signed_by and signed_by != key_id(key):
            return None, (
                f"the newest checkpoint was signed with another key ({signed_by}, here "
                f"{key_id(key)}): every process that checks the books needs the same "
                f"{KEY_ENV} or data dir"
            )
        return None, "the newest checkpoint's signature does not verify: it was changed in Redis"
    assert isinstance(raw, dict)
    if raw.get("v") != VERSION or raw.get("pool") != pool:
        return None, "the newest checkpoint is of another version or pool"
    if int(raw["seen"]) != snap.seen_count:
        return None, (
            f"the checkpoint's set of once-only tags has {snap.seen_count} members, "
            f"its checkpoint signed {raw['seen']}: it was changed in Redis"
        )
    if raw["position"] and (
        not snap.last_id or posting_order(snap.last_id) < posting_order(raw["position"])
    ):
        return None, "the journal ends before the newest checkpoint: it was cut in Redis"
    return (
        Checkpoint(
            epoch=str(raw["epoch"]),
            seq=int(raw["seq"]),
            position=str(raw["position"]),
            postings=int(raw["postings"]),
            balances={str(k): int(v) for k, v in raw["balances"].items()},
            earned={str(k): int(v) for k, v in raw["earned"].items()},
            provenance=dict(raw["provenance"]),
            seen_count=int(raw["seen"]),
            sig=snap.sig,
            digest=str(raw.get("digest", "")),
        ),
        "",
    )


def new_epoch() -> str:
    return secrets.token_hex(8)


async def write(
    store: Store,
    key: bytes,
    *,
    base: Checkpoint | None,
    base_sig: str,
    epoch: str,
    books: Books,
    added: list[bytes],
    pruned: list[bytes] | None = None,
    consumed: int = 0,
) -> bool:
    """Sign and save the checkpoint; False when a newer one was written meanwhile (or this Redis
    user may not write). `base` is the checkpoint this check continued from (None: full).

    A newer checkpoint that only pruned tags (the archiver's, see `prune`: same epoch and
    position) does not make a check's work stale: the check is saved on top of it instead."""
    pruned = pruned if base is not None else None  # a new set holds only what it replayed
    for _ in range(REBASES):
        try:
            await _save(
                store,
                key,
                base,
                base_sig,
                _body(store, key, base, epoch, books, len(added) - len(pruned or [])),
                epoch,
                added,
                pruned,
                consumed,
            )
            return True
        except Conflict:
            if base is None or pruned:
                return False
            newer, _why = verify(await snapshot(store), key, store.pool)
            if not (newer and newer.epoch == base.epoch and newer.position == base.position):
                return False
            base, base_sig = newer, newer.sig
        except (LcnError, RedisError):  # a read-only user: the check stands
            return False
    return False


REBASES = 3


def _body(
    store: Store,
    key: bytes,
    base: Checkpoint | None,
    epoch: str,
    books: Books,
    seen_change: int,
) -> tuple[int, int, bytes]:
    """The checkpoint's sequence, the size of its set and its signed body."""
    seq = (base.seq if base else 0) + 1
    seen = (base.seen_count if base else 0) + seen_change
    body = json.dumps(
        {
            "v": VERSION,
            "pool": store.pool,
            "keyId": key_id(key),
            "epoch": epoch,
            "seq": seq,
            "position": books.position,
            "postings": books.postings,
            "balances": {a: v for a, v in sorted(books.balances.items()) if v},
            "earned": {n: v for n, v in sorted(books.earned.items()) if v},
            "provenance": books.provenance,
            "seen": seen,
            "digest": books.digest,
            "at": int(time.time() * 1000),
        },
        separators=(",", ":"),
    ).encode()
    return seq, seen, body


async def _save(
    store: Store,
    key: bytes,
    base: Checkpoint | None,
    base_sig: str,
    signed: tuple[int, int, bytes],
    epoch: str,
    added: list[bytes],
    pruned: list[bytes] | None,
    consumed: int,
) -> None:
    seq, seen, body = signed
    # 'add' puts the new tags in the set; 'swap' (a full check) fills a new set first and makes
    # it the set, so a check that fails half-way leaves the old one whole.
    fresh = None if base is not None else store.keys.ledger_checkpoint_next(epoch)
    try:
        if fresh is not None:
            for start in range(0, len(added), 5000):
                async with store.redis.pipeline(transaction=False) as pipe:
                    pipe.zadd(fresh, dict.fromkeys(added[start : start + 5000], seq))
                    pipe.pexpire(fresh, NEXT_SET_TTL_MS)
                    await pipe.execute()
        await calls.ledger_checkpoint(
            store,
            base_sig,
            body,
            sign(key, body),
            seq,
            base.seen_count if base is not None else seen,
            "add" if fresh is None else "swap",
            added if fresh is None else [],
            fresh=fresh,
            pruned=pruned,
            consumed=consumed,
        )
    finally:
        if fresh is not None:
            with contextlib.suppress(RedisError):
                await store.redis.delete(fresh)  # gone already when it took over


# Prune-list entries one prune round deals with: its script removes their tags in one go, so
# this bounds how long it holds Redis (~10 ms).
PRUNE_BATCH = 10_000


async def prunable(store: Store, mac: Callable[[str], bytes]) -> tuple[list[bytes], int]:
    """The set's tags of jobs the archiver removed from Redis (its prune list), and how many of
    the list's entries that answers. A job still in Redis (listed by mistake, or put back) keeps
    its tags, and only tags in the set come back, so the signed size stays exact."""
    entries = await store.redis.lrange(store.keys.ledger_checkpoint_prune, 0, PRUNE_BATCH - 1)
    jobs: list[tuple[str, int]] = []
    for raw in entries:
        job_id, _, gen = raw.decode(errors="replace").rpartition(":")
        if job_id and gen.isdigit() and int(gen) < 1000:
            jobs.append((job_id, int(gen)))
    if not jobs:
        return [], len(entries)
    async with store.redis.pipeline(transaction=False) as pipe:
        for job_id, _ in jobs:
            pipe.exists(store.keys.job(job_id))
        present = await pipe.execute()
    tags = [
        mac(fact)
        for (job_id, gen), there in zip(jobs, present, strict=True)
        if not there
        for fact in job_hold_facts(job_id, gen)
    ]
    found: list[bytes] = []
    for start in range(0, len(tags), 5000):
        part = tags[start : start + 5000]
        scores = await store.redis.zmscore(seen_key(store), part)
        found += [tag for tag, score in zip(part, scores, strict=True) if score is not None]
    return list(dict.fromkeys(found)), len(entries)


PRUNE_ROUNDS = 10  # prune batches one archiver run deals with at most
# Each prune re-signs the whole checkpoint body (every balance: megabytes on a large network),
# so it waits for this many removed jobs; what waits is bounded by it (~150 bytes a job).
PRUNE_MIN = 5_000


async def prune(store: Store, key: bytes | None, *, at_least: int = PRUNE_MIN) -> int:
    """Drop the once-only tags of the jobs the archiver removed from Redis (its prune list),
    re-signing the newest checkpoint with the smaller set: the same journal position and sums, a
    new sequence. The archiver calls this after every run, so the set and the list stay the size
    of what Redis holds however seldom the books are checked. Returns how many tags went."""
    dropped = 0
    if key is None:
        return 0  # nothing is archived without a trusted checkpoint, so nothing is listed
    for _ in range(PRUNE_ROUNDS):
        if await store.redis.llen(store.keys.ledger_checkpoint_prune) < max(1, at_least):
            break
        base, _why = verify(await snapshot(store), key, store.pool)
        if base is None:
            break  # no trusted checkpoint yet: the list waits for one
        tags, consumed = await prunable(store, tag_mac(key, base.epoch))
        if not consumed:
            break
        saved = await write(
            store,
            key,
            base=base,
            base_sig=base.sig,
            epoch=base.epoch,
            books=base.books(),
            added=[],
            pruned=tags,
            consumed=consumed,
        )
        if not saved:
            break  # a check saved a newer checkpoint meanwhile: the next run goes on
        dropped += len(tags)
    return dropped
