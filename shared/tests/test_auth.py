"""Bearer JWT authentication and role and region checks, as every service applies them."""

import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends
from pydantic import SecretStr

from huimin_shared.app import build_app
from huimin_shared.auth import Principal, Role, mint_token, require_roles
from huimin_shared.errors import PROBLEM_MEDIA_TYPE
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET, SharedSettings
from huimin_shared.testing import api_client, bearer, server_url

router = APIRouter(prefix="/v1")


@router.get("/areas/{area_code}/things")
async def things(
    area_code: str, principal: Principal = Depends(require_roles(Role.civil_affairs, Role.auditor))
) -> dict[str, str]:
    principal.ensure_covers(area_code)
    return {"area": area_code, "subject": principal.subject}


class _Settings(SharedSettings):
    pass


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = _Settings(database_url=server_url(), environment="test")
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    body = response.json()
    assert body["status"] == status
    assert body["type"].endswith("/" + slug)
    assert body["title"]
    assert body["detail"]


async def test_a_request_without_a_token_gets_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/areas/210502/things")
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_expired_token_gets_401_token_expired(client: httpx.AsyncClient) -> None:
    token = mint_token(
        DEVELOPMENT_JWT_SECRET, subject="u", roles=[Role.civil_affairs], now=time.time() - 7200
    )
    response = await client.get("/v1/areas/210502/things", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "token-expired")


async def test_a_badly_signed_token_gets_401(client: httpx.AsyncClient) -> None:
    token = mint_token("someone-elses-secret-of-enough-length!!", subject="u", roles=[Role.civil_affairs])
    response = await client.get("/v1/areas/210502/things", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "unauthenticated")
    assert "signature" in response.json()["detail"]


async def test_a_token_signed_with_none_is_refused(client: httpx.AsyncClient) -> None:
    token = jwt.encode(
        {"sub": "u", "exp": int(time.time()) + 60, "roles": ["civil_affairs"]}, None, algorithm="none"
    )
    response = await client.get("/v1/areas/210502/things", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401, "unauthenticated")


async def test_a_wrong_role_gets_403_naming_the_admitted_roles(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/areas/210502/things", headers=bearer(Role.finance))
    assert_problem(response, 403, "forbidden")
    assert "auditor, civil_affairs" in response.json()["detail"]


async def test_an_out_of_region_token_gets_403(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/areas/210503/things", headers=bearer(Role.civil_affairs, region="210502")
    )
    assert_problem(response, 403, "out-of-region")


async def test_a_city_token_covers_its_districts(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/areas/210503/things", headers=bearer(Role.civil_affairs, region="210500")
    )
    assert response.status_code == 200
    assert response.json() == {"area": "210503", "subject": "test-user"}


async def test_keycloak_style_roles_are_read_from_realm_access(client: httpx.AsyncClient) -> None:
    token = jwt.encode(
        {"sub": "kc", "exp": int(time.time()) + 60, "realm_access": {"roles": ["auditor", "offline_access"]}},
        DEVELOPMENT_JWT_SECRET,
        algorithm="HS256",
    )
    response = await client.get("/v1/areas/210502/things", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_health_ready_and_metrics_are_open(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/ready", "/metrics"):
        assert (await client.get(path)).status_code == 200, path


def test_every_route_states_its_roles_in_the_docs() -> None:
    settings = _Settings(database_url=server_url(), environment="test")
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    operation = app.openapi()["paths"]["/v1/areas/{area_code}/things"]["get"]
    assert "**Roles:** `auditor`, `civil_affairs`." in operation["description"]


def test_an_unguarded_route_is_refused_at_startup() -> None:
    unguarded = APIRouter()

    @unguarded.get("/v1/open")
    async def open_route() -> dict[str, str]:
        return {}

    settings = _Settings(database_url=server_url(), environment="test")
    with pytest.raises(RuntimeError, match="no role check"):
        build_app(settings, title="t", description="t", version="0", migrations=None, routers=[unguarded])


def test_the_development_secret_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="development one is public"):
        _Settings(environment="production", database_url="postgresql://x@db/x")


async def test_ready_is_false_when_the_secret_is_empty() -> None:
    """Issue 11: settings built around validation (model_copy) with an empty secret must not look ready."""
    settings = _Settings(database_url=server_url(), environment="test")
    emptied = settings.model_copy(update={"jwt_secret": SecretStr("")})
    app = build_app(emptied, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["auth"] is False
    assert "JWT secret is empty" in response.json()["reasons"][0]


async def test_ready_says_the_database_answers_and_auth_works(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() | {"revision": None} == {
        "status": "ready", "service": "huimin", "database": True, "revision": None, "head": None,
        "auth": True, "reasons": [],
    }  # fmt: skip
