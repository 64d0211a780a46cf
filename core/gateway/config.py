"""The gateway's own settings (LCN_GATEWAY_* variables); the pool and Redis come from
core.config.Settings like every other lcn process."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIB = 1024 * 1024
# pydantic-core's own JSON parser stops at 200 levels; the gateway refuses deeper bodies first.
MAX_JSON_DEPTH = 200
IPNetwork = IPv4Network | IPv6Network


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
    max_json_depth: int = Field(
        default=64,
        validation_alias="LCN_GATEWAY_MAX_JSON_DEPTH",
        ge=2,
        le=MAX_JSON_DEPTH,
        description="Deepest nesting of arrays and objects a JSON body may have (400 beyond).",
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
    register_limit: int = Field(
        default=120,
        validation_alias="LCN_GATEWAY_REGISTER_RATE",
        ge=1,
        description="Node registrations per hour from one client IP. A node record stays in "
        "Redis, and keys are free to make, so this is what keeps anyone from filling Redis "
        "with nodes; a node that restarts re-attaches with one registration.",
    )
    auth_failure_limit: int = Field(
        default=30,
        validation_alias="LCN_GATEWAY_AUTH_FAILURES",
        ge=1,
        description="Refused credentials per window from one client IP before every request "
        "from it gets 429 until the window ends.",
    )
    trusted_proxies: Annotated[tuple[IPNetwork, ...], NoDecode] = Field(
        default=(),
        validation_alias="LCN_GATEWAY_TRUSTED_PROXIES",
        description="Comma-separated IPs or CIDR networks of the reverse proxies in front of the "
        "gateway; X-Forwarded-For is believed only from these.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        validation_alias="LCN_METRICS_TOKEN",
        min_length=16,
        description="A bearer token that may read /metrics (besides operator API keys).",
    )
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

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        networks = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                networks.append(ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or CIDR network") from None
        return tuple(networks)
