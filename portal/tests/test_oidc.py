"""OpenID Connect sign-in: authorization code with PKCE (S256) against the identity provider.

The identity provider is answered by respx (discovery, token endpoint, keys); Authlib and the portal
run for real, so the test fails if the challenge is not S256, the verifier does not match it, the
state is not checked or the ID token's signature or nonce is not verified.
"""

import base64
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import respx
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import rsa

from huimin_portal.app import create_app

from .conftest import settings

ISSUER = "https://idp.test/realms/huimin"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {
    **json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key())),
    "kid": "idp-1",
    "alg": "RS256",
    "use": "sig",
}


def _signed(claims: dict[str, Any]) -> str:
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "idp-1"})


class IdentityProvider:
    """Answers the token endpoint only for the code it issued and the verifier behind the challenge."""

    def __init__(self) -> None:
        self.challenge: str | None = None
        self.nonce: str | None = None
        self.exchanged: list[dict[str, list[str]]] = []

    def token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.exchanged.append(form)
        verifier = form["code_verifier"][0]
        expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if form["code"] != ["the-code"] or expected != self.challenge:
            return httpx.Response(400, json={"error": "invalid_grant"})
        now = int(time.time())
        access = _signed(
            {"iss": ISSUER, "sub": "u-42", "preferred_username": "fin-wu", "exp": now + 300, "iat": now,
             "realm_access": {"roles": ["finance"]}, "region": "210500"}
        )  # fmt: skip
        identity = _signed(
            {"iss": ISSUER, "sub": "u-42", "aud": "portal", "exp": now + 300, "iat": now, "nonce": self.nonce}
        )
        return httpx.Response(
            200,
            json={"access_token": access, "id_token": identity, "token_type": "Bearer", "expires_in": 300},
        )


@pytest.fixture
async def oidc_portal() -> AsyncIterator[tuple[httpx.AsyncClient, IdentityProvider]]:
    idp = IdentityProvider()
    app = create_app(
        settings(oidc_metadata_url=f"{ISSUER}/.well-known/openid-configuration", oidc_client_id="portal")
    )
    with respx.mock(assert_all_called=False) as mock:
        mock.get(f"{ISSUER}/.well-known/openid-configuration").respond(
            json={
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
                "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
                "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )
        mock.get(f"{ISSUER}/protocol/openid-connect/certs").respond(json={"keys": [JWK]})
        mock.post(f"{ISSUER}/protocol/openid-connect/token").mock(side_effect=idp.token)
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://portal.test"
            ) as client,
        ):
            yield client, idp


async def test_sign_in_uses_the_code_flow_with_a_s256_challenge_and_lands_where_asked(
    oidc_portal: tuple[httpx.AsyncClient, IdentityProvider],
) -> None:
    client, idp = oidc_portal
    assert "通过统一身份认证登录" in (await client.get("/signin")).text
    start = await client.get("/signin/oidc", params={"next": "/batches"})
    assert start.status_code == 302
    location = urlsplit(start.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{ISSUER}/protocol/openid-connect/auth"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert query["client_id"] == "portal"
    assert query["redirect_uri"] == "http://portal.test/signin/callback"
    assert "openid" in query["scope"]
    idp.challenge, idp.nonce = query["code_challenge"], query["nonce"]

    back = await client.get("/signin/callback", params={"code": "the-code", "state": query["state"]})
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/batches"
    assert idp.exchanged[0]["grant_type"] == ["authorization_code"]
    home = await client.get("/")
    assert "fin-wu" in home.text  # the access token's person and role choose the pages
    assert "拨付批次" in home.text
    assert "开发登录：" not in home.text  # no development banner for a real sign-in


async def test_a_callback_with_another_state_signs_nobody_in(
    oidc_portal: tuple[httpx.AsyncClient, IdentityProvider],
) -> None:
    client, idp = oidc_portal
    start = await client.get("/signin/oidc")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    idp.challenge, idp.nonce = query["code_challenge"], query["nonce"]
    back = await client.get("/signin/callback", params={"code": "the-code", "state": "forged"})
    assert back.status_code == 400
    assert idp.exchanged == []
    assert (await client.get("/")).status_code == 303


async def test_an_id_token_for_another_nonce_is_refused(
    oidc_portal: tuple[httpx.AsyncClient, IdentityProvider],
) -> None:
    client, idp = oidc_portal
    start = await client.get("/signin/oidc")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    idp.challenge, idp.nonce = query["code_challenge"], "replayed-nonce"
    back = await client.get("/signin/callback", params={"code": "the-code", "state": query["state"]})
    assert back.status_code == 400
    assert "nonce" in back.text
    assert (await client.get("/")).status_code == 303
