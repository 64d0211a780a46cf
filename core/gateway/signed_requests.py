"""PKP-signed requests: how a job creator authenticates without an API key.

The client sends three headers:

    X-LCN-Address:   0x… (the creator's address)
    X-LCN-Timestamp: Unix seconds when it signed
    X-LCN-Signature: 0x… EIP-191 signature of the text below

over this exact text (lines joined by "\\n"):

    Lit Compute Network request
    Pool: <pool, as GET /lit-compute/health reports it>
    Address: <checksum address>
    Method: <POST>
    Path: <path, with ?query if any>
    Timestamp: <same as the header>
    Body-SHA256: <hex SHA-256 of the raw body bytes>

The gateway accepts a timestamp within the allowed skew (300 s by default), accepts each
signature once (a replay is refused), and for a submission requires the signer to be the job's
`creatorPKP`. `signed_headers` builds the headers for Python clients.
"""

from __future__ import annotations

import hashlib
import time

from eth_utils.address import to_checksum_address

from core.errors import AuthError, InvalidInput
from core.identity import NodeKey, recover_signer
from core.models.node import ADDRESS_RE
from core.store import Store

ADDRESS_HEADER = "X-LCN-Address"
TIMESTAMP_HEADER = "X-LCN-Timestamp"
SIGNATURE_HEADER = "X-LCN-Signature"
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def request_message(
    *, pool: str, address: str, method: str, path: str, timestamp: int, body: bytes
) -> str:
    return "\n".join(
        [
            "Lit Compute Network request",
            f"Pool: {pool}",
            f"Address: {to_checksum_address(address)}",
            f"Method: {method.upper()}",
            f"Path: {path}",
            f"Timestamp: {timestamp}",
            f"Body-SHA256: {hashlib.sha256(body).hexdigest()}",
        ]
    )


def signed_headers(
    key: NodeKey,
    *,
    pool: str,
    method: str,
    path: str,
    body: bytes,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The three headers that authenticate one request as `key`'s address."""
    when = int(time.time()) if timestamp is None else timestamp
    message = request_message(
        pool=pool, address=key.address, method=method, path=path, timestamp=when, body=body
    )
    return {
        ADDRESS_HEADER: key.address,
        TIMESTAMP_HEADER: str(when),
        SIGNATURE_HEADER: key.sign(message),
    }


def signature_id(signature: str) -> str:
    """The same id for a signature and its malleated twin (s and n - s), so a replay cannot
    slip past by flipping s."""
    raw = bytes.fromhex(signature.removeprefix("0x"))
    s = int.from_bytes(raw[32:64], "big")
    low_s = min(s, SECP256K1_ORDER - s)
    return hashlib.sha256(raw[:32] + low_s.to_bytes(32, "big")).hexdigest()


async def verify(
    store: Store,
    *,
    address: str,
    timestamp: str,
    signature: str,
    method: str,
    path: str,
    body: bytes,
    skew_s: int,
) -> str:
    """The checksum address that signed this request, or a one-sentence refusal."""
    if not ADDRESS_RE.fullmatch(address):
        raise AuthError(f"{ADDRESS_HEADER} must be 0x followed by 40 hex digits.")
    try:
        when = int(timestamp)
    except ValueError:
        raise AuthError(f"{TIMESTAMP_HEADER} must be Unix seconds.") from None
    if abs(time.time() - when) > skew_s:
        raise AuthError(
            f"The request was signed too long ago or in the future (allowed skew {skew_s} s)."
        )
    claimed = to_checksum_address(address)
    message = request_message(
        pool=store.pool, address=claimed, method=method, path=path, timestamp=when, body=body
    )
    try:
        signer = recover_signer(message, signature)
    except InvalidInput as exc:
        raise AuthError(str(exc)) from None
    if signer != claimed:
        raise AuthError(f"The request signature was not made by the key of {claimed}.")
    seen = store.keys.seen_signature(signature_id(signature))
    if not await store.redis.set(seen, "1", nx=True, ex=2 * skew_s + 1):
        raise AuthError("This signed request was already used; sign it again.")
    return claimed
