"""Content identifiers: CIDv1, dag-cbor + sha2-256 for records, raw for opaque bytes."""

from __future__ import annotations

from typing import Any

import dag_cbor
from multiformats import CID, multihash

from core.errors import InvalidInput


def record_cid(record: Any) -> str:
    """CID of a JSON-like record (`bafyrei…`): the same record always gets the same id."""
    encoded = dag_cbor.encode(record)
    return str(CID("base32", 1, "dag-cbor", multihash.digest(encoded, "sha2-256")))


def bytes_cid(data: bytes) -> str:
    """CID of opaque bytes such as a job's result (`bafkrei…`)."""
    return str(CID("base32", 1, "raw", multihash.digest(data, "sha2-256")))


def check_cid(value: str, *, what: str = "id") -> str:
    """Return `value` if it is a CIDv1 string, else refuse in one sentence."""
    try:
        cid = CID.decode(value)
    except Exception as exc:  # multiformats raises several types for malformed input
        raise InvalidInput(f"The {what} {value!r} is not a valid CID.") from exc
    if cid.version != 1:
        raise InvalidInput(f"The {what} {value!r} is not a CIDv1.")
    return value
