"""Node sessions: a node proves its PKP key once (challenge → EIP-191 signature) and gets a
short-lived bearer token bound to its node id, so its agents need not sign every request.

Redis keeps only the SHA-256 of a token (`session:<digest>` → node id, with the session's TTL),
so every gateway answers for every session and nothing lives in a gateway's memory. A sign-in
challenge is its own single-use nonce (`signin-nonce:<nonce>`) and its message names the purpose
"session", so neither a registration signature nor a registration nonce can open a session.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from eth_utils.address import to_checksum_address

from core.errors import AuthError, Conflict, InvalidInput
from core.identity import challenge_message, recover_signer
from core.models.node import ADDRESS_RE
from core.store import Store, calls
from core.wire.sessions import Session, SignInChallenge

SESSION_PREFIX = "lcs_"
SESSION_PURPOSE = "session"
NONCE_BYTES = 16


def nonce_key(store: Store, nonce: str) -> str:
    return store.keys.signin_nonce(nonce)


def session_key(store: Store, token: str) -> str:
    return store.keys.session(hashlib.sha256(token.encode()).hexdigest())


async def issue_challenge(store: Store, address: str, ttl_s: int) -> SignInChallenge:
    if not ADDRESS_RE.fullmatch(address):
        raise InvalidInput("pkpAddress must be 0x followed by 40 hex digits.")
    nonce = secrets.token_hex(NONCE_BYTES)
    await store.redis.set(nonce_key(store, nonce), f"open:{address.lower()}", ex=ttl_s)
    return SignInChallenge(
        pkp_address=address,
        nonce=nonce,
        message=challenge_message(
            address=address, nonce=nonce, pool=store.pool, purpose=SESSION_PURPOSE
        ),
        expires_at=int(time.time() * 1000) + ttl_s * 1000,
    )


async def sign_in(store: Store, address: str, nonce: str, signature: str, ttl_s: int) -> Session:
    """Check the signature over the sign-in challenge, then consume it and open the session."""
    if not ADDRESS_RE.fullmatch(address):
        raise InvalidInput("pkpAddress must be 0x followed by 40 hex digits.")
    claimed = to_checksum_address(address)
    message = challenge_message(
        address=claimed, nonce=nonce, pool=store.pool, purpose=SESSION_PURPOSE
    )
    try:
        signer = recover_signer(message, signature)
    except InvalidInput as exc:
        raise AuthError(str(exc)) from None
    if signer != claimed:
        raise AuthError(f"The signature was not made by the key of {claimed}.")
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    try:
        node_id = await calls.open_node_session(store, nonce, claimed.lower(), digest, ttl_s * 1000)
    except Conflict as exc:
        raise AuthError(str(exc)) from None
    node_id = node_id.decode() if isinstance(node_id, bytes) else str(node_id)
    return Session(
        token=token,
        node_id=node_id,
        expires_at=int(time.time() * 1000) + ttl_s * 1000,
        expires_in_seconds=ttl_s,
    )


async def node_of(store: Store, token: str) -> str:
    """The node a session token acts for, or a refusal that tells the node to sign in again."""
    if not token.startswith(SESSION_PREFIX) or len(token) > 200:
        raise AuthError("The session token is malformed; sign in again.")
    node_id = await store.redis.get(session_key(store, token))
    if node_id is None:
        raise AuthError("The session has expired or is unknown; sign in again.")
    return str(node_id.decode() if isinstance(node_id, bytes) else node_id)


async def sign_out(store: Store, token: str) -> None:
    await store.redis.delete(session_key(store, token))
