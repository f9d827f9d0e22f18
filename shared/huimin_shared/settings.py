"""Settings every service has. Each service subclasses with its own env prefix (ELIGIBILITY_ …)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_JWT_SECRET = "huimin-development-secret-not-for-production-use"
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
MINIMUM_SECRET_BYTES = 32


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


@dataclass(frozen=True)
class EventSettings:
    """How events are delivered to subscribed webhooks (``huimin_shared.events``)."""

    poll_seconds: float = 5.0
    max_attempts: int = 8
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 600.0
    timeout_seconds: float = 10.0
    round_seconds: float = 60.0


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
    jwt_issuer: str | None = Field(
        default=None,
        description="Expected `iss`; with RS256 also where /docs finds the OpenID configuration.",
    )
    jwt_audience: str | None = None
    service_token: SecretStr | None = Field(
        default=None,
        description="Bearer token this service presents to its peers; minted from jwt_secret when unset.",
    )
    oidc_discovery_url: str | None = Field(
        default=None,
        description="The identity provider's OpenID Connect discovery document, for /docs' Authorize; "
        "with RS256 it defaults to <jwt_issuer>/.well-known/openid-configuration.",
    )
    oidc_client_id: str | None = Field(
        default=None,
        description="Public client (PKCE) /docs logs in with; typed in the Authorize dialog when unset.",
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

    @property
    def openid_configuration_url(self) -> str | None:
        """Where an identity provider is configured, its discovery document (Keycloak: the realm's)."""
        if self.oidc_discovery_url is not None:
            return self.oidc_discovery_url
        if self.jwt_algorithm is JwtAlgorithm.rs256 and self.jwt_issuer:
            return self.jwt_issuer.rstrip("/") + "/.well-known/openid-configuration"
        return None

    # Whether this service calls its peers (then, with RS256, it needs a token from the provider).
    calls_peers: ClassVar[bool] = False

    def _env(self, field: str) -> str:
        """The environment variable a field is read from, for error messages."""
        prefix = str(self.model_config.get("env_prefix", ""))
        return (prefix + field).upper()

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

    events_poll_seconds: float = Field(
        default=5.0, gt=0, description="How often a delivery round looks for events to send."
    )
    events_max_attempts: int = Field(
        default=8,
        ge=1,
        description="Failed attempts after which an event is dead-lettered for a subscription.",
    )
    events_backoff_initial_seconds: float = Field(
        default=1.0, ge=0, description="The wait after a first failed delivery; doubles on each failure."
    )
    events_backoff_max_seconds: float = Field(
        default=600.0, ge=0, description="The longest wait between attempts."
    )
    events_timeout_seconds: float = Field(default=10.0, gt=0, description="How long a webhook has to answer.")

    def event_settings(self) -> EventSettings:
        return EventSettings(
            poll_seconds=self.events_poll_seconds,
            max_attempts=self.events_max_attempts,
            backoff_initial_seconds=self.events_backoff_initial_seconds,
            backoff_max_seconds=self.events_backoff_max_seconds,
            timeout_seconds=self.events_timeout_seconds,
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
    def _refuse_settings_auth_cannot_work_with(self) -> Self:
        """Refuse at start what would leave every request failing later: an empty secret anywhere,
        and in production a short or public secret, a missing database or signing key."""
        secret = self.jwt_secret.get_secret_value()
        production = self.environment is Environment.production
        if self.jwt_algorithm is JwtAlgorithm.hs256:
            if not secret.strip():
                raise ValueError(f"{self._env('jwt_secret')} is empty; HS256 needs a secret to verify tokens")
            if production and secret == DEVELOPMENT_JWT_SECRET:
                raise ValueError(
                    f"set {self._env('jwt_secret')} to a secret of your own in production "
                    "(the development one is public)"
                )
            if production and len(secret.encode()) < MINIMUM_SECRET_BYTES:
                raise ValueError(
                    f"{self._env('jwt_secret')} is {len(secret.encode())} bytes; production needs at least "
                    f"{MINIMUM_SECRET_BYTES} (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
        if self.service_token is not None and not self.service_token.get_secret_value().strip():
            raise ValueError(f"{self._env('service_token')} is set but empty; unset it or give a token")
        if self.jwt_algorithm is JwtAlgorithm.rs256:
            if not self.jwt_jwks_url:
                raise ValueError(f"RS256 needs {self._env('jwt_jwks_url')}, the identity provider's key set")
            if self.calls_peers and self.service_token is None:
                raise ValueError(
                    f"with RS256, {self.service_name} needs {self._env('service_token')} from the identity "
                    "provider to call its peers"
                )
        if production and self.database_url is None:
            raise ValueError(
                f"production needs {self._env('database_url')}; the embedded server is for development"
            )
        return self
