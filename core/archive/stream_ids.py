"""Redis stream ids ('ms-seq') packed into one 64-bit integer and back.

The archive keys journal and audit entries by their stream id; as an integer (milliseconds
shifted left by SEQ_BITS, plus the sequence number) it sorts by time, fits PostgreSQL's BIGINT
and is SQLite's rowid, so the key costs no index of its own.
"""

from __future__ import annotations

SEQ_BITS = 20  # up to a million entries within one millisecond
MILLIS_BITS = 63 - SEQ_BITS  # a signed BIGINT: milliseconds up to 2**43, the year 2248
STREAM_ID = r"^\d{1,13}-\d{1,7}$"


def pack_stream_id(entry_id: str) -> int:
    millis, _, seq = entry_id.partition("-")
    number = int(seq or 0)
    if number >= 1 << SEQ_BITS or int(millis) >= 1 << MILLIS_BITS:
        raise ValueError(f"stream id {entry_id!r} is too large to archive")
    return int(millis) << SEQ_BITS | number


def unpack_stream_id(key: int) -> str:
    return f"{key >> SEQ_BITS}-{key & ((1 << SEQ_BITS) - 1)}"


def stream_id_millis(entry_id: str) -> int:
    return int(entry_id.partition("-")[0])
