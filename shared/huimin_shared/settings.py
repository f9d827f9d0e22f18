"""Settings every service has. Each service subclasses with its own env prefix (ELIGIBILITY_ …)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "huimin-development-secret-not-for-production-use"


class Environment(StrEnum):
    local = "local"
    test = "test"
    production = "production"


class JwtAlgorithm(StrEnum):
    hs256 = "HS256"
    rs256 = "RS256"


class SharedSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file=None)
    service_name: ClassVar[str] = "huimin"

    environment: Environment = Environment.local
    database_url: str | None = Field(
        default=None,
        description="postgresql://… of this service's own database; unset means the embedded server.",
    )
    database_pool_size: int = 10
    jwt_algorithm: JwtAlgorithm = JwtAlgorithm.hs256
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_jwks_url: str | None = Field(default=None, description="Identity provider's JWKS, for RS256.")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    service_token: SecretStr | None = Field(
        default=None,
        description="Bearer token this service presents to its peers; minted from jwt_secret when unset.",
    )
    log_level: str = "INFO"
    log_json: bool = True
    peer_timeout_seconds: float = 10.0
    peer_retry_attempts: int = 3
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body a route takes (413 beyond)."
    )
    max_upload_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024,
        description="Largest file upload (roster imports, bank files), spooled to disk while it arrives.",
    )

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> Self:
        if self.environment is Environment.production:
            if self.jwt_algorithm is JwtAlgorithm.hs256 and (
                self.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
            ):
                raise ValueError("set a JWT secret of your own in production (the development one is public)")
            if self.database_url is None:
                raise ValueError("production needs a database URL; the embedded server is for development")
        if self.jwt_algorithm is JwtAlgorithm.rs256 and not self.jwt_jwks_url:
            raise ValueError("RS256 needs jwt_jwks_url, the identity provider's key set")
        return self
