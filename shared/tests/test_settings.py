"""Unsafe configuration is refused at start (issue 11): empty or short secrets, missing keys.

Each message names the environment variable to fix, so an operator knows what to set.
"""

from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from huimin_shared.settings import DEVELOPMENT_JWT_SECRET, MINIMUM_SECRET_BYTES, SharedSettings

DATABASE = "postgresql://huimin@db/huimin"
GOOD_SECRET = "k" * MINIMUM_SECRET_BYTES


class _Settings(SharedSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore")
    service_name: ClassVar[str] = "demo"


class _PeerCallingSettings(_Settings):
    calls_peers: ClassVar[bool] = True


@pytest.mark.parametrize("environment", ["local", "test", "production"])
@pytest.mark.parametrize("secret", ["", "   "])
def test_an_empty_secret_never_starts(environment: str, secret: str) -> None:
    with pytest.raises(ValidationError, match="DEMO_JWT_SECRET is empty"):
        _Settings(environment=environment, database_url=DATABASE, jwt_secret=secret)


def test_production_refuses_a_secret_shorter_than_32_bytes() -> None:
    with pytest.raises(ValidationError, match=r"DEMO_JWT_SECRET is 1 bytes; production needs at least 32"):
        _Settings(environment="production", database_url=DATABASE, jwt_secret="a")
    with pytest.raises(ValidationError, match="is 31 bytes"):
        _Settings(environment="production", database_url=DATABASE, jwt_secret="k" * 31)


def test_production_counts_the_secret_in_bytes_and_accepts_32() -> None:
    assert _Settings(environment="production", database_url=DATABASE, jwt_secret=GOOD_SECRET)
    # 11 Chinese characters are 33 bytes in UTF-8: long enough although only 11 characters.
    assert _Settings(environment="production", database_url=DATABASE, jwt_secret="惠民" * 5 + "惠")


def test_production_refuses_the_public_development_secret() -> None:
    with pytest.raises(ValidationError, match="set DEMO_JWT_SECRET to a secret of your own"):
        _Settings(environment="production", database_url=DATABASE, jwt_secret=DEVELOPMENT_JWT_SECRET)


def test_a_short_secret_is_still_allowed_outside_production() -> None:
    assert _Settings(environment="local", database_url=DATABASE, jwt_secret="a")


def test_production_needs_a_database_url() -> None:
    with pytest.raises(ValidationError, match="production needs DEMO_DATABASE_URL"):
        _Settings(environment="production", jwt_secret=GOOD_SECRET)


def test_rs256_needs_the_identity_providers_key_set() -> None:
    with pytest.raises(ValidationError, match="RS256 needs DEMO_JWT_JWKS_URL"):
        _Settings(environment="production", database_url=DATABASE, jwt_algorithm="RS256")


def test_rs256_refuses_a_service_that_calls_peers_without_a_service_token() -> None:
    """With RS256 the service cannot mint its own token for peers: without one every peer call fails."""
    settings = {"database_url": DATABASE, "jwt_algorithm": "RS256", "jwt_jwks_url": "https://idp/certs"}
    with pytest.raises(ValidationError, match="needs DEMO_SERVICE_TOKEN"):
        _PeerCallingSettings(**settings)
    assert _PeerCallingSettings(**settings, service_token="eyJ.token.from-the-provider")
    assert _Settings(**settings)  # a service that calls nobody needs none


def test_an_empty_service_token_is_refused() -> None:
    with pytest.raises(ValidationError, match="DEMO_SERVICE_TOKEN is set but empty"):
        _Settings(database_url=DATABASE, service_token="")


def test_the_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_ENVIRONMENT", "production")
    monkeypatch.setenv("DEMO_DATABASE_URL", DATABASE)
    monkeypatch.setenv("DEMO_JWT_SECRET", "")
    with pytest.raises(ValidationError, match="DEMO_JWT_SECRET is empty"):
        _Settings()
