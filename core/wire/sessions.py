"""Node sign-in: a single-use challenge, the node's signature of it, and the short-lived
session token its agents then send as `Authorization: Bearer <token>`."""

from __future__ import annotations

from pydantic import Field, field_validator

from core.models.base import WireModel
from core.models.node import check_address
from core.wire.base import NONCE_PATTERN, SIGNATURE_PATTERN, StrictWire


class AddressBody(StrictWire):
    pkp_address: str = Field(description="0x followed by 40 hex digits.")

    @field_validator("pkp_address")
    @classmethod
    def _address(cls, value: str) -> str:
        return check_address(value)


class SignInChallenge(WireModel):
    pkp_address: str
    nonce: str
    message: str = Field(description="The exact text to sign (EIP-191 personal message).")
    expires_at: int = Field(description="Unix time, ms.")


class SignIn(AddressBody):
    nonce: str = Field(pattern=NONCE_PATTERN, description="From the sign-in challenge.")
    signature: str = Field(
        pattern=SIGNATURE_PATTERN, description="EIP-191 signature of the challenge's message."
    )


class Session(WireModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    node_id: str
    expires_at: int = Field(description="Unix time, ms; sign in again before it.")
    expires_in_seconds: int = Field(description="The session's lifetime from now.")


class SignedOut(WireModel):
    signed_out: bool
