"""Settings every service has. Each service subclasses with its own env prefix (ELIGIBILITY_ …)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class JobSettings:
    """How background jobs are leased and polled (``huimin_shared.jobs``)."""

    lease_seconds: float = 120.0
    heartbeat_seconds: float = 20.0
    poll_seconds: float = 5.0
    concurrency: int = 2
    max_attempts: int = 5


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
    jobs_lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a background job stays with a process that stops renewing it.",
    )
    jobs_heartbeat_seconds: float = Field(
        default=20.0, gt=0, description="How often a running job's lease is renewed (well under the lease)."
    )
    jobs_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often a process looks for jobs to run."
    )
    jobs_concurrency: int = Field(default=2, ge=1, description="Jobs one process runs at once.")
    jobs_max_attempts: int = Field(
        default=5, ge=1, description="A job interrupted this many times (its process died each time) fails."
    )

    def job_settings(self) -> JobSettings:
        return JobSettings(
            lease_seconds=self.jobs_lease_seconds,
            heartbeat_seconds=self.jobs_heartbeat_seconds,
            poll_seconds=self.jobs_poll_seconds,
            concurrency=self.jobs_concurrency,
            max_attempts=self.jobs_max_attempts,
        )

    @model_validator(mode="after")
    def _heartbeat_inside_lease(self) -> Self:
        if self.jobs_heartbeat_seconds >= self.jobs_lease_seconds:
            raise ValueError("jobs_heartbeat_seconds must be shorter than jobs_lease_seconds")
        return self

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
