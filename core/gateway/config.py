"""The gateway's own settings (LCN_GATEWAY_* variables); the pool and Redis come from
core.config.Settings like every other lcn process."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class GatewaySettings(BaseSettings):
    """Limits and lifetimes of the HTTP gateway. Every field has an LCN_GATEWAY_* variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    max_body_bytes: int = Field(
        default=2 * MIB,
        validation_alias="LCN_GATEWAY_MAX_BODY",
        ge=1024,
        le=64 * MIB,
        description="Largest request body; a job input may be 1 MiB of JSON, hence 2 MiB.",
    )
    rate_limit: int = Field(
        default=1200,
        validation_alias="LCN_GATEWAY_RATE",
        ge=1,
        description="Requests per window for one submitter (API key or address) or one client IP.",
    )
    node_rate_limit: int = Field(
        default=6000,
        validation_alias="LCN_GATEWAY_NODE_RATE",
        ge=1,
        description="Requests per window for one node session (all of the node's agents).",
    )
    rate_window_s: int = Field(default=60, validation_alias="LCN_GATEWAY_RATE_WINDOW", ge=1)
    session_ttl_s: int = Field(
        default=900,
        validation_alias="LCN_GATEWAY_SESSION_TTL",
        ge=1,
        le=86_400,
        description="Lifetime of a node's session token; the node signs in again after it.",
    )
    signature_skew_s: int = Field(
        default=300,
        validation_alias="LCN_GATEWAY_SIGNATURE_SKEW",
        ge=5,
        le=3600,
        description="How far a signed request's timestamp may be from the gateway's clock.",
    )
