"""Checking a status certificate (JWS, EdDSA) against eligibility's published keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

# The fields of the status answer a certificate must repeat for the page to call it valid.
CHECKED_FIELDS = ("id_number", "on", "eligible", "categories")


@dataclass(frozen=True)
class CertificateCheck:
    valid: bool
    reason: str  # why not, or which key signed it
    key_id: str | None = None
    issuer: str | None = None


def check_certificate(certificate: str, jwks: dict[str, Any], status: dict[str, Any]) -> CertificateCheck:
    """Whether ``certificate`` is signed by a key in ``jwks`` and states what ``status`` shows."""
    try:
        key_id = jwt.get_unverified_header(certificate).get("kid")
        keys = jwt.PyJWKSet.from_dict(jwks)
        key = next((k for k in keys.keys if k.key_id == key_id), None)
        if key is None:
            return CertificateCheck(False, f"no published key has id {key_id}", key_id)
        claims = jwt.decode(
            certificate, key.key, algorithms=["EdDSA"], options={"verify_aud": False, "require": []}
        )
    except jwt.PyJWTError as exc:
        return CertificateCheck(False, f"the signature does not verify: {exc}")
    for name in CHECKED_FIELDS:
        if claims.get(name) != status.get(name):
            return CertificateCheck(False, f"the certificate states another {name}", key_id)
    return CertificateCheck(True, f"EdDSA, key {key_id}", key_id, claims.get("iss"))
