"""The portal's settings, from environment variables prefixed ``PORTAL_``."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from huimin_shared.settings import DEVELOPMENT_JWT_SECRET, Environment

DEVELOPMENT_SESSION_SECRET = "huimin-portal-development-session-secret-not-for-production"


class PortalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore", env_file=None)

    environment: Environment = Environment.local
    eligibility_url: str = "http://127.0.0.1:8001"
    premium_url: str = "http://127.0.0.1:8002"
    settlement_url: str = "http://127.0.0.1:8003"
    api_timeout_seconds: float = Field(default=30.0, gt=0, description="Each call to a service.")
    session_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SESSION_SECRET),
        description="Signs the session cookie; every replica shares it.",
    )
    session_max_age_seconds: int = Field(default=8 * 3600, gt=0)
    # Development sign-in (local and test only): tokens minted like `huimin token`.
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    # OpenID Connect: the identity provider's discovery document and this portal's client.
    oidc_metadata_url: str | None = Field(
        default=None, description="…/.well-known/openid-configuration of the identity provider."
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="Unset for a public client (PKCE alone)."
    )
    oidc_scope: str = "openid profile"
    public_url: str | None = Field(
        default=None, description="https://… where people reach the portal; builds the OIDC redirect URI."
    )

    @property
    def development(self) -> bool:
        """Whether the development sign-in page is offered (never in production)."""
        return self.environment is not Environment.production

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_metadata_url and self.oidc_client_id)

    @model_validator(mode="after")
    def _production_needs_its_own_secrets(self) -> Self:
        if self.environment is Environment.production:
            if self.session_secret.get_secret_value() == DEVELOPMENT_SESSION_SECRET:
                raise ValueError("set PORTAL_SESSION_SECRET in production (the development one is public)")
            if not self.oidc_configured:
                raise ValueError("production signs people in through OpenID Connect: set PORTAL_OIDC_*")
        return self
