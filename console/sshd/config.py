"""The SSH server's own settings (LCN_SSH_* variables); the pool and Redis come from
core.config.Settings like every other lcn process."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SshSettings(BaseSettings):
    """Limits of `lcn serve ssh`. Every field has an LCN_SSH_* variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    max_sessions: int = Field(
        default=32,
        validation_alias="LCN_SSH_MAX_SESSIONS",
        ge=1,
        le=1000,
        description="Open console sessions in all; each is a console with its own poller.",
    )
    max_sessions_per_key: int = Field(
        default=4, validation_alias="LCN_SSH_MAX_SESSIONS_PER_KEY", ge=1, le=1000
    )
    idle_timeout_s: int = Field(
        default=1800,
        validation_alias="LCN_SSH_IDLE_TIMEOUT",
        ge=1,
        le=7 * 86_400,
        description="A session with no keypress for this long is closed.",
    )
    auth_failure_limit: int = Field(
        default=10,
        validation_alias="LCN_SSH_AUTH_FAILURES",
        ge=1,
        description="Refused keys per window from one address before it is turned away at "
        "connect until the window ends.",
    )
    auth_window_s: int = Field(default=60, validation_alias="LCN_SSH_AUTH_WINDOW", ge=1)
    grant_check_s: float = Field(
        default=2.0,
        validation_alias="LCN_SSH_GRANT_CHECK",
        gt=0,
        le=60,
        description="How often a session re-reads its key's grant: a revoked key's sessions "
        "end within this.",
    )
    login_timeout_s: int = Field(default=30, validation_alias="LCN_SSH_LOGIN_TIMEOUT", ge=1)
