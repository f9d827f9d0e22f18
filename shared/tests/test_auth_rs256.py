"""RS256 tokens verified against an identity provider's JWKS (Keycloak-style claims)."""

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends

from huimin_shared.app import build_app
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.settings import JwtAlgorithm, SharedSettings
from huimin_shared.testing import api_client, server_url

PROVIDER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

router = APIRouter(prefix="/v1")


@router.get("/whoami")
async def whoami(principal: Principal = Depends(require_roles(Role.auditor))) -> dict[str, str | None]:
    return {"subject": principal.subject, "name": principal.name, "region": principal.region}


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PROVIDER_KEY.public_key()))
    public_jwk.update({"kid": "provider-1", "use": "sig", "alg": "RS256"})
    body = json.dumps({"keys": [public_jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/realms/huimin/protocol/openid-connect/certs"
    server.shutdown()


class _Settings(SharedSettings):
    pass


@pytest.fixture
async def client(jwks_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = _Settings(
        database_url=server_url(),
        environment="test",
        jwt_algorithm=JwtAlgorithm.rs256,
        jwt_jwks_url=jwks_url,
        jwt_issuer="https://idp.example/realms/huimin",
    )
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as client:
        yield client


def keycloak_token(key: rsa.RSAPrivateKey, **overrides: object) -> str:
    claims = {
        "sub": "8f2c",
        "preferred_username": "zhang.auditor",
        "iss": "https://idp.example/realms/huimin",
        "exp": int(time.time()) + 300,
        "realm_access": {"roles": ["auditor", "default-roles-huimin"]},
        "region": "210500",
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "provider-1"})


async def test_a_token_signed_by_the_identity_provider_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {keycloak_token(PROVIDER_KEY)}"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"subject": "8f2c", "name": "zhang.auditor", "region": "210500"}


async def test_a_token_signed_by_another_key_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/whoami", headers={"Authorization": f"Bearer {keycloak_token(OTHER_KEY)}"}
    )
    assert response.status_code == 401
    assert "signature" in response.json()["detail"]


async def test_a_token_from_another_issuer_is_refused(client: httpx.AsyncClient) -> None:
    token = keycloak_token(PROVIDER_KEY, iss="https://elsewhere.example")
    response = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_an_hs256_token_is_refused_when_rs256_is_configured(client: httpx.AsyncClient) -> None:
    """Algorithm confusion: a shared-secret token must not pass where the provider's key is expected."""
    token = jwt.encode(
        {"sub": "x", "exp": int(time.time()) + 60, "realm_access": {"roles": ["auditor"]}},
        "secret-of-at-least-thirty-two-bytes!!",
        algorithm="HS256",
        headers={"kid": "provider-1"},
    )
    response = await client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_ready_is_true_when_the_identity_providers_keys_can_be_read(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["auth"] is True
    assert response.json()["reasons"] == []


async def test_ready_is_false_when_the_identity_provider_cannot_be_reached() -> None:
    """Issue 11: a service that cannot verify any token must not report ready."""
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    settings = _Settings(
        database_url=server_url(),
        environment="test",
        jwt_algorithm=JwtAlgorithm.rs256,
        jwt_jwks_url=f"http://127.0.0.1:{closed_port}/certs",
    )
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as unready:
        response = await unready.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["auth"] is False
    assert body["database"] is True
    assert any(f"127.0.0.1:{closed_port}/certs" in reason for reason in body["reasons"]), body
