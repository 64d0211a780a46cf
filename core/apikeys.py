"""API keys for job submitters: `lcn apikey create NAME` prints a secret once; Redis keeps only
its SHA-256, so a leaked database cannot be replayed against the gateway.

A key is either an operator key (any `creatorPKP`, may list every job) or bound to one creator
address (`--creator 0x…`), which is then the only `creatorPKP` it may submit for.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import datetime

from pydantic import Field

from core.errors import AuthError, InvalidInput, NotFound
from core.models.base import WireModel, ms_to_datetime
from core.models.node import ADDRESS_RE
from core.store import Store, calls

API_KEY_PREFIX = "lcn_"
SECRET_BYTES = 32
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
KEY_ID_CHARS = 12


class ApiKey(WireModel):
    """What is known about a key: never its secret."""

    key_id: str = Field(description="The first hex digits of the secret's SHA-256.")
    name: str
    creator: str | None = Field(description="The only creatorPKP it may submit for, if bound.")
    created_at: datetime | None


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def index_key(store: Store) -> str:
    return store.keys.apikeys


def record_key(store: Store, digest: str) -> str:
    return store.keys.apikey(digest)


def _from_hash(raw: dict[bytes, bytes]) -> ApiKey:
    h = {k.decode(): v.decode() for k, v in raw.items()}
    return ApiKey(
        key_id=h["id"],
        name=h["name"],
        creator=h.get("creator") or None,
        created_at=ms_to_datetime(int(h.get("created_at") or 0)),
    )


async def create(store: Store, name: str, creator: str | None = None) -> tuple[ApiKey, str]:
    """A new key and its secret (`lcn_…`); the secret is shown once and never stored."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput("An API key name is 1-64 letters, digits, dots, dashes or underscores.")
    if creator is not None and not ADDRESS_RE.fullmatch(creator):
        raise InvalidInput("The creator must be 0x followed by 40 hex digits.")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    digest = digest_of(secret)
    now_ms = int(time.time() * 1000)
    await calls.create_api_key(
        store, name, digest, digest[:KEY_ID_CHARS], (creator or "").lower(), now_ms
    )
    key = ApiKey(
        key_id=digest[:KEY_ID_CHARS],
        name=name,
        creator=creator.lower() if creator else None,
        created_at=ms_to_datetime(now_ms),
    )
    return key, secret


async def list_keys(store: Store) -> list[ApiKey]:
    """Every key of the pool, by name."""
    index: dict[bytes, bytes] = await store.redis.hgetall(index_key(store))
    names = sorted(index)
    async with store.redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(record_key(store, index[name].decode()))
        rows = await pipe.execute()
    return [_from_hash(raw) for raw in rows if raw]


async def revoke(store: Store, name_or_id: str) -> ApiKey:
    """Revoke by name or by key id; the secret stops working at once on every gateway."""
    for key in await list_keys(store):
        if name_or_id in (key.name, key.key_id):
            await calls.revoke_api_key(store, key.name)
            return key
    raise NotFound(f"No API key is named {name_or_id} or has that id.")


async def authenticate(store: Store, secret: str) -> ApiKey:
    """The key a presented secret belongs to, or a one-sentence refusal."""
    if not secret.startswith(API_KEY_PREFIX) or len(secret) > 200:
        raise AuthError("The API key is malformed; keys start with lcn_.")
    raw = await store.redis.hgetall(record_key(store, digest_of(secret)))
    if not raw:
        raise AuthError("The API key is unknown or was revoked.")
    return _from_hash(raw)
