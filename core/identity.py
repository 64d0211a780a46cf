"""PKP identities: secp256k1 keys, and proof that a caller holds the key it claims.

The node signs an EIP-191 personal message that names the challenge nonce and its address; we
recover the signer with eth-account and require it to equal both the claimed address and the
address derived from the claimed public key. Each failure has its own one-sentence error.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys import keys as eth_keys  # type: ignore[attr-defined]
from eth_utils.address import to_checksum_address

from core.errors import AuthError, InvalidInput

# Importing eth_account imports py_ecc, which raises the interpreter's recursion limit to 100,000
# for the whole process. Then parsing deeply nested data (json.loads of `[[[[…`) overflows the C
# stack and kills the process instead of raising RecursionError. Put Python's default back.
RECURSION_LIMIT = 1000
sys.setrecursionlimit(min(sys.getrecursionlimit(), RECURSION_LIMIT))


@dataclass(frozen=True)
class NodeKey:
    address: str
    public_key: str  # 0x04 + 64 bytes, uncompressed
    private_key: str

    def sign(self, message: str) -> str:
        signed = Account.sign_message(encode_defunct(text=message), private_key=self.private_key)
        return "0x" + bytes(signed.signature).hex()


def new_key() -> NodeKey:
    return key_from_private(secrets.token_hex(32))


def key_from_private(private_hex: str) -> NodeKey:
    private = eth_keys.PrivateKey(bytes.fromhex(private_hex.removeprefix("0x")))
    return NodeKey(
        address=private.public_key.to_checksum_address(),
        public_key="0x04" + private.public_key.to_bytes().hex(),
        private_key="0x" + private.to_bytes().hex(),
    )


def write_key(key: NodeKey, path: Path) -> None:
    """Write the key file readable by its owner only; never overwrite an existing key."""
    body = json.dumps(
        {"address": key.address, "publicKey": key.public_key, "privateKey": key.private_key}
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InvalidInput(f"{path} already exists; choose another --out or remove it.") from exc
    except OSError as exc:
        raise InvalidInput(f"Cannot write {path}: {exc.strerror}.") from exc
    with os.fdopen(fd, "w") as out:
        out.write(body + "\n")


def read_key(path: Path) -> NodeKey:
    try:
        data = json.loads(path.read_text())
        return key_from_private(str(data["privateKey"]))
    except FileNotFoundError as exc:
        raise InvalidInput(
            f"Key file {path} does not exist; make one with `lcn node keygen`."
        ) from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path} is not an lcn key file.") from exc


def address_of_public_key(public_key: str) -> str:
    """Checksum address of an uncompressed (0x04…) or raw 64-byte secp256k1 public key."""
    try:
        raw = bytes.fromhex(public_key.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidInput("The public key is not hex.") from exc
    if len(raw) == 65 and raw[0] == 4:
        raw = raw[1:]
    if len(raw) != 64:
        raise InvalidInput("The public key must be 64 bytes, or 65 starting with 04.")
    try:
        return eth_keys.PublicKey(raw).to_checksum_address()
    except Exception as exc:  # eth-keys rejects points off the curve
        raise InvalidInput("The public key is not a valid secp256k1 point.") from exc


def challenge_message(*, address: str, nonce: str, pool: str, purpose: str = "registration") -> str:
    """The exact text a node signs. It names the purpose, pool, address and nonce, so a
    signature for one of them can never be reused for another."""
    return (
        f"Lit Compute Network node {purpose}\n"
        f"Pool: {pool}\n"
        f"Address: {to_checksum_address(address)}\n"
        f"Nonce: {nonce}"
    )


def recover_signer(message: str, signature: str) -> str:
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidInput("The signature is not hex.") from exc
    if len(raw) != 65:
        raise InvalidInput("The signature must be 65 bytes (r, s, v).")
    try:
        return str(Account.recover_message(encode_defunct(text=message), signature=raw))
    except Exception as exc:  # eth-account raises several types for a bad v/s
        raise InvalidInput("The signature is malformed and names no signer.") from exc


def verify_proof(*, address: str, public_key: str, message: str, signature: str) -> str:
    """Check that `signature` over `message` was made by the key behind `public_key`, which
    must be `address`'s key. Returns the checksum address."""
    claimed = to_checksum_address(address)
    if address_of_public_key(public_key) != claimed:
        raise AuthError(f"The public key does not belong to {claimed}.")
    if recover_signer(message, signature) != claimed:
        raise AuthError(f"The signature was not made by the key of {claimed}.")
    return claimed
