"""Eligibility's required production setting: the certificate signing key (issue 11)."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from huimin_eligibility.settings import EligibilitySettings
from huimin_eligibility.status.signing import generate_private_key_pem

PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql://huimin@db/huimin_eligibility",
    "jwt_secret": "s" * 48,
}


def test_production_refuses_to_start_without_the_certificate_signing_key() -> None:
    with pytest.raises(ValidationError, match="production needs ELIGIBILITY_CERTIFICATE_PRIVATE_KEY"):
        EligibilitySettings(**PRODUCTION)


def test_production_starts_with_an_ed25519_key() -> None:
    settings = EligibilitySettings(**PRODUCTION, certificate_private_key=generate_private_key_pem())
    assert settings.certificate_private_key is not None


@pytest.mark.parametrize(
    "pem", ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]
)
def test_a_key_that_is_not_a_pem_private_key_is_refused_at_start(pem: str) -> None:
    with pytest.raises(ValidationError, match="not an unencrypted PEM private key"):
        EligibilitySettings(**PRODUCTION, certificate_private_key=pem)


def test_a_key_of_another_kind_is_refused_at_start() -> None:
    rsa_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(ValidationError, match="must be an Ed25519 private key"):
        EligibilitySettings(**PRODUCTION, certificate_private_key=rsa_pem)
