"""Content identifiers: CIDv1, dag-cbor + sha2-256 for records, raw for opaque bytes.

The bytes of a record are encoded with `dag_cbor`; the CID string around its digest is built
directly (version, codec, multihash header, base32), because multiformats' runtime type checks
cost about a millisecond per id, which would dominate job submission. tests/test_ids.py checks
that every id built here equals multiformats' own `CID(...)` string, and `check_cid` falls
back to multiformats to explain what is wrong with a malformed id.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import dag_cbor
from multiformats import CID

from core.errors import InvalidInput

DAG_CBOR = 0x71
RAW = 0x55
CID_VERSION = 1
SHA2_256 = b"\x12\x20"  # multihash: code 0x12, 32-byte digest
OUR_CID = re.compile(r"^baf[yk]rei[a-z2-7]{52}$")


def _cid(codec: int, data: bytes) -> str:
    raw = bytes([CID_VERSION, codec]) + SHA2_256 + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def record_cid(record: Any) -> str:
    """CID of a JSON-like record (`bafyrei…`): the same record always gets the same id."""
    return _cid(DAG_CBOR, dag_cbor.encode(record))


def _cbor_head(major: int, length: int) -> bytes:
    """A CBOR item head: major type and length, in the shortest form (as DAG-CBOR requires)."""
    if length < 24:
        return bytes([major << 5 | length])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | extra]) + length.to_bytes(size, "big")
    raise ValueError("a CBOR length must be below 2**64")


def text_record_cid(record: dict[str, str]) -> str:
    """`record_cid` of a flat map of strings, encoded here: dag_cbor's runtime type checks cost
    more than the rest of a job's submission. DAG-CBOR orders map keys by encoded length, then
    bytewise; tests/test_ids.py checks every id equals `record_cid`'s."""
    items = sorted(
        ((key.encode(), value.encode()) for key, value in record.items()),
        key=lambda item: (len(item[0]), item[0]),
    )
    parts = [_cbor_head(5, len(items))]
    for key, value in items:
        parts += [_cbor_head(3, len(key)), key, _cbor_head(3, len(value)), value]
    return _cid(DAG_CBOR, b"".join(parts))


def bytes_cid(data: bytes) -> str:
    """CID of opaque bytes such as a job's result (`bafkrei…`)."""
    return _cid(RAW, data)


def check_cid(value: str, *, what: str = "id") -> str:
    """Return `value` if it is a CIDv1 string, else refuse in one sentence."""
    if OUR_CID.fullmatch(value):
        return value
    try:
        cid = CID.decode(value)
    except Exception as exc:  # multiformats raises several types for malformed input
        raise InvalidInput(f"The {what} {value!r} is not a valid CID.") from exc
    if cid.version != 1:
        raise InvalidInput(f"The {what} {value!r} is not a CIDv1.")
    return value
