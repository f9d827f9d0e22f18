"""DRS-8: a service reads for an end user only with that user's own verified token (X-On-Behalf-Of); the
user's region limit then applies and the read names the user. A resident token is kept to one ID number."""

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, Depends

from huimin_shared.app import build_app
from huimin_shared.auth import (
    ON_BEHALF_OF_HEADER,
    Principal,
    Role,
    mint_token,
    on_behalf_of_headers,
    require_roles,
)
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET, SharedSettings
from huimin_shared.testing import api_client, bearer, server_url

router = APIRouter(prefix="/v1")


@router.get("/areas/{area_code}/reads")
async def who_reads(
    area_code: str, principal: Principal = Depends(require_roles(Role.service, Role.resident))
) -> dict[str, str | None]:
    principal.ensure_covers(area_code)
    return {"reader": principal.reader, "roles": principal.reader_roles, "own": principal.own_id_number}


class _Settings(SharedSettings):
    pass


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = _Settings(database_url=server_url(), environment="test")
    app = build_app(settings, title="t", description="t", version="0", migrations=None, routers=[router])
    async with api_client(app) as client:
        yield client


def _token(
    *roles: Role, subject: str, region: str | None = None, ttl: int = 3600, now: float | None = None
) -> str:
    return mint_token(
        DEVELOPMENT_JWT_SECRET, subject=subject, roles=roles, region=region, ttl_seconds=ttl, now=now
    )


SERVICE = bearer(Role.service, subject="service:premium")


async def test_a_service_acting_for_a_user_is_logged_as_the_user(client: httpx.AsyncClient) -> None:
    officer = _token(Role.community_officer, subject="officer-ps", region="210502")
    response = await client.get("/v1/areas/210502/reads", headers={**SERVICE, ON_BEHALF_OF_HEADER: officer})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "reader": "officer-ps",
        "roles": "community_officer via service:premium",
        "own": None,
    }


async def test_the_users_region_limit_applies_to_the_service_acting_for_them(
    client: httpx.AsyncClient,
) -> None:
    officer = _token(Role.community_officer, subject="officer-ps", region="210502")
    response = await client.get("/v1/areas/210503/reads", headers={**SERVICE, ON_BEHALF_OF_HEADER: officer})
    assert response.status_code == 403
    assert response.json()["type"].endswith("out-of-region")


async def test_only_a_service_may_act_for_someone(client: httpx.AsyncClient) -> None:
    officer = _token(Role.community_officer, subject="officer-ps")
    resident = bearer(Role.resident, subject="210502198001011234")
    response = await client.get("/v1/areas/210502/reads", headers={**resident, ON_BEHALF_OF_HEADER: officer})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "on_behalf_of",
    [
        "not-a-token",
        mint_token("someone-elses-secret-of-enough-length!!", subject="x", roles=[Role.civil_affairs]),
        _token(Role.civil_affairs, subject="late", ttl=60, now=time.time() - 7200),
        _token(Role.service, subject="service:settlement"),
    ],
    ids=["garbage", "forged", "expired", "a-service"],
)
async def test_an_on_behalf_of_token_that_does_not_verify_is_401(
    client: httpx.AsyncClient, on_behalf_of: str
) -> None:
    response = await client.get(
        "/v1/areas/210502/reads", headers={**SERVICE, ON_BEHALF_OF_HEADER: on_behalf_of}
    )
    assert response.status_code == 401, response.text


async def test_a_resident_token_is_kept_to_its_own_id_number(client: httpx.AsyncClient) -> None:
    resident = bearer(Role.resident, subject="210502198001011234")
    response = await client.get("/v1/areas/210502/reads", headers=resident)
    assert response.json()["own"] == "210502198001011234"
    # and so is a service acting for the resident
    acting = {**SERVICE, ON_BEHALF_OF_HEADER: resident["Authorization"].removeprefix("Bearer ")}
    assert (await client.get("/v1/areas/210502/reads", headers=acting)).json()["own"] == "210502198001011234"


def test_a_service_passes_on_the_end_users_token_and_never_its_own() -> None:
    user = Principal(subject="u", roles=frozenset({Role.civil_affairs}), token="user-token")
    service = Principal(
        subject="service:premium", roles=frozenset({Role.service}), token="svc", on_behalf_of=user
    )
    own_account = Principal(subject="service:premium", roles=frozenset({Role.service}), token="svc")
    assert on_behalf_of_headers(user) == {ON_BEHALF_OF_HEADER: "user-token"}
    assert on_behalf_of_headers(service) == {ON_BEHALF_OF_HEADER: "user-token"}
    assert on_behalf_of_headers(own_account) == {}
    assert on_behalf_of_headers(None) == {}
