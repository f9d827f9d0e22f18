"""Who may call the routes of issue 15 (search, households, duplicates, appeals, own view, exports), and
what a region limit does to them: every role against every route, in one table."""

import httpx
import pytest
from eligibility_helpers import CIVIL, certify, id_number, register

from huimin_shared.testing import bearer

PERSON = id_number("210502", "19800101", 801)
ROLES = (
    "civil_affairs",
    "community_officer",
    "auditor",
    "social_insurance",
    "finance",
    "service",
    "resident",
)
# (method, path, roles admitted)
ROUTES = [
    ("GET", "/v1/residents?name=张三丰", {"civil_affairs", "community_officer", "auditor"}),
    ("GET", "/v1/households/H-0001", {"civil_affairs", "community_officer", "auditor"}),
    ("GET", "/v1/duplicates", {"civil_affairs", "community_officer"}),
    ("GET", "/v1/appeals", {"civil_affairs", "community_officer", "auditor"}),
    (
        "GET",
        f"/v1/residents/{PERSON}/status?on=2010-03-01",
        {"civil_affairs", "community_officer", "social_insurance", "service", "resident"},
    ),
    ("GET", f"/v1/residents/{PERSON}/reads", {"civil_affairs", "community_officer", "auditor", "resident"}),
    ("GET", "/v1/audit?format=csv", {"civil_affairs", "auditor"}),
    (
        "GET",
        "/v1/disclosure?region=210502&community=c&year=2010&format=csv",
        {"civil_affairs", "community_officer", "auditor"},
    ),
]


@pytest.mark.parametrize(("method", "path", "admitted"), ROUTES, ids=[p for _, p, _ in ROUTES])
async def test_each_route_admits_exactly_its_roles(
    client: httpx.AsyncClient, method: str, path: str, admitted: set[str]
) -> None:
    await register(client, PERSON)
    await certify(client, PERSON, "dibao", "2009-06-01")
    for role in ROLES:
        # a community officer always works in a district (a token without a region is refused, fail closed)
        region = "210502" if role == "community_officer" else None
        headers = bearer(role, subject=PERSON if role == "resident" else f"{role}-1", region=region)
        response = await client.request(method, path, headers=headers)
        if role in admitted:
            assert response.status_code == 200, f"{role}: {response.status_code} {response.text}"
        else:
            assert response.status_code == 403, f"{role}: {response.status_code}"
    assert (await client.request(method, path)).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/residents/{PERSON}/status?on=2010-03-01",
        f"/v1/residents/{PERSON}/reads",
        "/v1/disclosure?region=210502&community=c&year=2010&format=csv",
    ],
)
async def test_a_token_of_another_region_is_refused(client: httpx.AsyncClient, path: str) -> None:
    await register(client, PERSON)
    response = await client.get(path, headers=bearer("community_officer", region="210503"))
    assert response.status_code == 403
    assert response.json()["type"].endswith("out-of-region")


@pytest.mark.parametrize(
    "path",
    ["/v1/residents?household=H-0001", "/v1/households/H-0001", "/v1/duplicates", "/v1/appeals"],
)
async def test_lists_of_another_region_are_empty_or_404(client: httpx.AsyncClient, path: str) -> None:
    """Search, household, duplicates and appeals filter rows by region (residents/repository.readable)."""
    await register(client, PERSON)
    await register(client, id_number("210502", "19800101", 803))  # a namesake: a duplicate pair in 210502
    response = await client.get(path, headers=bearer("civil_affairs", region="210503"))
    if path.startswith("/v1/households"):
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert response.json()["items"] == []
    assert (await client.get(path, headers=CIVIL)).status_code == 200
