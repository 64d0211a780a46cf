"""PKP sales: a new secp256k1 key pair provisioned for a buyer and handed over as an encrypted
Ethereum keystore (eth-account's `Account.encrypt`, the format wallets import)."""

from __future__ import annotations

import asyncio
from typing import Any, Final

from eth_account import Account

from core.errors import InvalidInput
from core.identity import NodeKey, key_from_private, new_key

KDF: Final = (
    "pbkdf2"  # eth-account's pbkdf2 (262144 rounds): portable and quick enough to make inline
)
MIN_PASSWORD = 12


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"A keystore password needs at least {MIN_PASSWORD} characters.")


def _provision(password: str) -> dict[str, Any]:
    key = new_key()
    keystore = Account.encrypt(bytes.fromhex(key.private_key[2:]), password, kdf=KDF)
    return {"address": key.address, "publicKey": key.public_key, "keystore": keystore}


async def provision(password: str) -> dict[str, Any]:
    """A fresh key pair: its address, public key and password-encrypted keystore (the private
    key itself is never stored). Key stretching runs off the event loop."""
    check_password(password)
    return await asyncio.to_thread(_provision, password)


def open_keystore(keystore: dict[str, Any], password: str) -> NodeKey:
    """The buyer's side: decrypt the keystore back into a usable key."""
    try:
        private = Account.decrypt(keystore, password)
    except ValueError as exc:
        raise InvalidInput("The keystore password is wrong or the keystore is damaged.") from exc
    return key_from_private(bytes(private).hex())
