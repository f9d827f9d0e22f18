"""Building residents and certifications through the API, as a clerk would."""

from __future__ import annotations

from typing import Any

import httpx

from huimin_shared.idnumber import check_character
from huimin_shared.testing import bearer

CIVIL = bearer("civil_affairs", subject="clerk-1")
SERVICE = bearer("service", subject="service:premium")


def id_number(area: str = "210502", born: str = "19800101", sequence: int = 123) -> str:
    first_17 = f"{area}{born}{sequence:03d}"
    return first_17 + check_character(first_17)


async def register(
    client: httpx.AsyncClient,
    number: str,
    *,
    region_code: str = "210502",
    employee_insurance_since: str | None = None,
    name: str = "张三丰",
    community: str = "平山区东明社区",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/residents",
        json={
            "id_number": number,
            "name": name,
            "region_code": region_code,
            "community": community,
            "household": "H-0001",
            "employee_insurance_since": employee_insurance_since,
        },
        headers=headers or CIVIL,
    )
    assert response.status_code == 201, response.text
    return response.json()


async def certify(
    client: httpx.AsyncClient,
    number: str,
    category: str = "dibao",
    valid_from: str = "2009-06-01",
    valid_to: str | None = None,
    *,
    expect: int = 201,
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/residents/{number}/certifications",
        json={
            "category": category,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "authority": "平山区民政局",
            "evidence_ref": "平民低〔2009〕12号",
        },
        headers=CIVIL,
    )
    assert response.status_code == expect, response.text
    return response.json()


async def status(
    client: httpx.AsyncClient,
    number: str,
    on: str,
    as_of: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    params = {"on": on}
    if as_of is not None:
        params["as_of"] = as_of
    return await client.get(f"/v1/residents/{number}/status", params=params, headers=headers or SERVICE)
