"""The status certificate: a JWS (EdDSA, Ed25519) over the status, verifiable with the published JWKS."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_eligibility.common import now
from huimin_eligibility.settings import EligibilitySettings
from huimin_eligibility.status.models import SigningKey
from huimin_shared.app import Runtime

PURPOSE = "certificate"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class CertificateSigner:
    def __init__(self, private_key_pem: str, issuer: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the certificate key must be an Ed25519 private key (PEM, PKCS#8)")
        self._key = key
        self.issuer = issuer
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self._x = _b64url(raw)
        self.kid = hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            {"iss": self.issuer, **claims}, self._key, algorithm="EdDSA", headers={"kid": self.kid}
        )

    def jwks(self) -> dict[str, Any]:
        return {
            "keys": [
                {"kty": "OKP", "crv": "Ed25519", "x": self._x, "kid": self.kid, "alg": "EdDSA", "use": "sig"}
            ]
        }


def generate_private_key_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


async def stored_key(sessions: async_sessionmaker[AsyncSession]) -> str:
    """The development key kept in the database; made once (concurrent starts agree on one)."""
    async with sessions() as session, session.begin():
        pem = generate_private_key_pem()
        signer = CertificateSigner(pem, "probe")
        await session.execute(
            insert(SigningKey)
            .values(kid=signer.kid, purpose=PURPOSE, private_key_pem=pem, created_at=now())
            .on_conflict_do_nothing(index_elements=["purpose"])
        )
        stored = await session.scalar(select(SigningKey.private_key_pem).where(SigningKey.purpose == PURPOSE))
    if stored is None:
        raise RuntimeError("stored is missing")
    return stored


@asynccontextmanager
async def signer_lifespan(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    if not isinstance(settings, EligibilitySettings):
        raise RuntimeError("settings is not EligibilitySettings")
    if settings.certificate_private_key is not None:
        pem = settings.certificate_private_key.get_secret_value()
    else:
        pem = await stored_key(runtime.sessions)
    app.state.certificate_signer = CertificateSigner(pem, settings.certificate_issuer)
    yield


async def signer_of(request: Request) -> CertificateSigner:
    """The signer the lifespan loaded once (async: a plain def dependency would run in a worker thread)."""
    signer: CertificateSigner = request.app.state.certificate_signer
    return signer
