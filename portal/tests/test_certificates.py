"""The status certificate is checked in the page: signed by a published key and saying what is shown."""

import base64
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from huimin_portal.certificates import check_certificate

STATUS: dict[str, Any] = {
    "id_number": "210502198001015015",
    "on": "2019-10-02",
    "eligible": True,
    "categories": ["dibao"],
}


def _key_and_jwks(kid: str) -> tuple[Ed25519PrivateKey, dict[str, Any]]:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return key, {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"}]}


def _sign(key: Ed25519PrivateKey, claims: dict[str, Any], kid: str) -> str:
    return jwt.encode({"iss": "huimin-eligibility", **claims}, key, algorithm="EdDSA", headers={"kid": kid})


def test_a_certificate_signed_by_a_published_key_and_matching_the_status_is_valid() -> None:
    key, jwks = _key_and_jwks("k1")
    check = check_certificate(_sign(key, STATUS, "k1"), jwks, STATUS)
    assert check.valid
    assert check.key_id == "k1"
    assert check.issuer == "huimin-eligibility"


def test_a_certificate_signed_by_another_key_is_not_valid() -> None:
    _, jwks = _key_and_jwks("k1")
    forger, _ = _key_and_jwks("k1")
    assert not check_certificate(_sign(forger, STATUS, "k1"), jwks, STATUS).valid


def test_a_certificate_that_states_another_status_is_not_valid() -> None:
    """A genuine certificate pasted beside another person's (or another day's) status does not pass."""
    key, jwks = _key_and_jwks("k1")
    certificate = _sign(key, {**STATUS, "eligible": False, "categories": []}, "k1")
    check = check_certificate(certificate, jwks, STATUS)
    assert not check.valid
    assert "eligible" in check.reason


def test_a_certificate_whose_key_is_not_published_is_not_valid() -> None:
    key, jwks = _key_and_jwks("k1")
    check = check_certificate(_sign(key, STATUS, "k2"), jwks, STATUS)
    assert not check.valid
    assert "k2" in check.reason
