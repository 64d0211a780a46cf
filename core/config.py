"""Settings from the environment; one place that decides which Redis the core talks to."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.memory_limit import parse_maxmemory
from core.money import parse_credit_limit

POOL_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
DEFAULT_UNPLACEABLE_GRACE_S = 300
MAX_UNPLACEABLE_GRACE_S = 30 * 86_400
DEFAULT_QUEUE_AGE_S = 300  # LCN_ALERT_QUEUE_AGE: a job waiting longer is a triage item


def unplaceable_grace_from_env() -> int:
    """LCN_UNPLACEABLE_GRACE in seconds, for code with no Settings at hand (Settings reads the
    same variable with the same bounds, so the two agree)."""
    raw = os.environ.get("LCN_UNPLACEABLE_GRACE", "").strip()
    if not raw:
        return DEFAULT_UNPLACEABLE_GRACE_S
    if not raw.isdigit() or int(raw) > MAX_UNPLACEABLE_GRACE_S:
        raise ValueError(
            f"LCN_UNPLACEABLE_GRACE must be a whole number of seconds from 0 to "
            f"{MAX_UNPLACEABLE_GRACE_S}, not {raw!r}."
        )
    return int(raw)


class Settings(BaseSettings):
    """lcn's configuration. Every field can be set by the environment variable in its alias."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LCN_REDIS_URL", "REDIS_URL", "KV_URL"),
        description="Redis to use; with none set, lcn starts its own embedded redis-server.",
    )
    pool: str = Field(default="default", validation_alias="LCN_POOL", pattern=POOL_PATTERN)
    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("lcn")),
        validation_alias="LCN_DATA_DIR",
        description="Where the embedded Redis keeps its socket and AOF files.",
    )
    embedded_user: Literal["core", "reader", "agent"] = Field(
        default="core",
        validation_alias="LCN_EMBEDDED_USER",
        description="Which of lcn's Redis users signs in to the embedded server: core (all "
        "data commands), reader (read-only) or agent (a node's agents); ignored for a "
        "configured Redis, which uses the credentials in its URL.",
    )
    redis_maxmemory: str = Field(
        default="",
        validation_alias="LCN_REDIS_MAXMEMORY",
        description="How much memory the embedded server may use (2gb, 512mb, 30%, or 0 for "
        "no limit; default a quarter of the RAM, at most 8 GiB); when it is full, writes are "
        "refused with a retryable error. Read when the server starts.",
    )
    redis_cluster: bool = Field(
        default=False,
        validation_alias="LCN_REDIS_CLUSTER",
        description="Treat LCN_REDIS_URL as a Redis Cluster seed node.",
    )
    archive_url: str | None = Field(
        default=None,
        validation_alias="LCN_ARCHIVE_URL",
        description="Where finished jobs and final money records are kept: postgresql://… "
        "for an archive several hosts share; unset means a SQLite file in the data dir.",
    )
    retention_s: int = Field(
        default=3600,
        validation_alias="LCN_RETENTION",
        ge=0,
        le=10 * 365 * 86_400,
        description="How long finished jobs stay in Redis (seconds) before the orchestrator's "
        "archiver moves them to the archive.",
    )
    retain_jobs: int = Field(
        default=100_000,
        validation_alias="LCN_RETAIN_JOBS",
        ge=0,
        le=100_000_000,
        description="At most this many finished jobs stay in Redis; older ones are archived "
        "even inside the retention window.",
    )
    trim_journal: bool = Field(
        default=True,
        validation_alias="LCN_TRIM_JOURNAL",
        description="Trim the ledger journal in Redis once archived and covered by a signed "
        "checkpoint (the full ledger check reads the archive for what was trimmed); false "
        "keeps the whole journal in Redis too.",
    )
    record_every_s: float = Field(
        default=5.0,
        validation_alias="LCN_RECORD_EVERY",
        ge=0,
        le=3600,
        description="How often the orchestrator records what the console shows into the "
        "archive, for `lcn console --replay` (seconds; 0 turns recording off).",
    )
    record_retention_s: int = Field(
        default=7 * 86_400,
        validation_alias="LCN_RECORD_RETENTION",
        ge=600,
        le=10 * 365 * 86_400,
        description="How long recordings stay in the archive (seconds) before the recorder "
        "prunes them.",
    )
    inline_max: int = Field(
        default=4096,
        validation_alias="LCN_INLINE_MAX",
        ge=256,
        le=16 * 1024 * 1024,
        description="Bytes above which a job's input, code or result is kept out of its Redis "
        "record: stored once by its CID in the archive's blob table, and referenced.",
    )
    nonce_ttl_s: int = Field(default=120, validation_alias="LCN_NONCE_TTL", ge=5, le=3600)
    node_grace_s: int = Field(default=60, validation_alias="LCN_NODE_GRACE", ge=1, le=86_400)
    lease_s: int = Field(default=30, validation_alias="LCN_LEASE", ge=1, le=3600)
    max_attempts: int = Field(default=3, validation_alias="LCN_MAX_ATTEMPTS", ge=1, le=20)
    unplaceable_grace_s: int = Field(
        default=DEFAULT_UNPLACEABLE_GRACE_S,
        validation_alias="LCN_UNPLACEABLE_GRACE",
        ge=0,
        le=MAX_UNPLACEABLE_GRACE_S,
        description="Seconds a pending job that no registered node could ever run (too much "
        "memory or cpu, or a GPU, network, runtime or model no node offers) waits for such a "
        "node to register before it fails, unbilled.",
    )
    credit_limit_usd: str = Field(
        default="10",
        validation_alias="LCN_CREDIT_LIMIT",
        description="With payments off, how many USD a creator may owe (or 'unlimited').",
    )
    # Payments (core/payments): without a secret key payments are off and nothing else breaks.
    stripe_secret_key: str | None = Field(
        default=None,
        validation_alias="STRIPE_SECRET_KEY",
        description="Stripe secret key (sk_test_… or sk_live_…); unset means payments are off.",
    )
    stripe_public_key: str | None = Field(
        default=None,
        validation_alias="STRIPE_PUBLIC_KEY",
        description="Stripe publishable key (pk_…), handed to browsers for Checkout.",
    )
    stripe_webhook_secret: str | None = Field(
        default=None,
        validation_alias="STRIPE_WEBHOOK_SECRET",
        description="The signing secret (whsec_…) of the webhook endpoint /stripe/webhook.",
    )
    stripe_api_base: str | None = Field(
        default=None,
        validation_alias="STRIPE_API_BASE",
        description="Stripe's API base URL; point it at a local stand-in (default: Stripe's).",
    )

    # Alerts (core/alerts): triage items sent to the on-call; with no sink set, none is sent.
    alert_webhook: str | None = Field(
        default=None,
        validation_alias="LCN_ALERT_WEBHOOK",
        description="URL that alerts are POSTed to as JSON in Alertmanager's webhook shape.",
    )
    alert_slack: str | None = Field(
        default=None,
        validation_alias="LCN_ALERT_SLACK",
        description='A Slack (or compatible) incoming-webhook URL: alerts as {"text": …}.',
    )
    alert_for_s: int = Field(
        default=60,
        validation_alias="LCN_ALERT_FOR",
        ge=0,
        le=86_400,
        description="Seconds an item must persist before it fires (a blip sends nothing).",
    )
    alert_hold_s: int = Field(
        default=300,
        validation_alias="LCN_ALERT_HOLD",
        ge=0,
        le=86_400,
        description="Seconds at least between an item's fire and its resolve, and between a "
        "resolve and its next fire: a flapping item sends at most one message per hold.",
    )
    alert_queue_age_s: int = Field(
        default=DEFAULT_QUEUE_AGE_S,
        validation_alias="LCN_ALERT_QUEUE_AGE",
        ge=0,
        le=30 * 86_400,
        description="A pending job that has waited longer than this (seconds) is a triage "
        "item and an alert; 0 never.",
    )
    bell: bool = Field(
        default=True,
        validation_alias="LCN_BELL",
        description="Ring the terminal bell in open consoles when a new triage item appears.",
    )

    @field_validator("alert_webhook", "alert_slack")
    @classmethod
    def _alert_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("an alert sink must be an http:// or https:// URL")
        return value.strip()

    @field_validator(
        "stripe_secret_key", "stripe_public_key", "stripe_webhook_secret", "stripe_api_base"
    )
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @field_validator("credit_limit_usd")
    @classmethod
    def _credit_limit(cls, value: str) -> str:
        parse_credit_limit(value)
        return value.strip()

    @property
    def credit_limit(self) -> int | None:
        """The debt limit in micro-USD; None when unlimited."""
        return parse_credit_limit(self.credit_limit_usd)

    @field_validator("redis_maxmemory")
    @classmethod
    def _maxmemory(cls, value: str) -> str:
        parse_maxmemory(value)
        return value.strip()

    @property
    def redis_maxmemory_bytes(self) -> int:
        """The embedded server's maxmemory in bytes (0: no limit)."""
        return parse_maxmemory(self.redis_maxmemory)

    @field_validator("archive_url")
    @classmethod
    def _archive_scheme(cls, url: str | None) -> str | None:
        if url is None or url.strip() == "":
            return None
        if not url.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+", "postgres:")):
            raise ValueError("the archive URL must start with sqlite:// or postgresql://")
        return url.strip()

    @field_validator("redis_url")
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is None or url == "":
            return None
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("the Redis URL must start with redis://, rediss:// or unix://")
        return url


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit values (CLI flags) taking precedence."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
