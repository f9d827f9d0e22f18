"""The portal as an ASGI app with its services answered by respx (the portal's own code runs for real)."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from huimin_portal.app import create_app
from huimin_portal.settings import PortalSettings
from huimin_shared.settings import Environment

ELIGIBILITY = "http://eligibility.test"
PREMIUM = "http://premium.test"
SETTLEMENT = "http://settlement.test"


def settings(**overrides: object) -> PortalSettings:
    values: dict[str, object] = {
        "environment": Environment.local,
        "eligibility_url": ELIGIBILITY,
        "premium_url": PREMIUM,
        "settlement_url": SETTLEMENT,
        **overrides,
    }
    return PortalSettings.model_validate(values)


@pytest.fixture
async def portal() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings())
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test") as client,
    ):
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, role: str, region: str = "", subject: str = "li") -> None:
    page = await client.get("/signin")
    answer = await client.post(
        "/signin/dev",
        data={
            "role": role,
            "region": region,
            "subject": subject,
            "csrf_token": csrf_of(page.text),
            "next": "/",
        },
    )
    assert answer.status_code == 303, answer.text
