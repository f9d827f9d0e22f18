"""Sign-in, CSRF, security headers, role checks and API problems as the person sees them."""

import re

import httpx
import pytest
import respx
from pydantic import ValidationError

from huimin_portal.auth_pages import local_path
from huimin_portal.settings import PortalSettings
from huimin_shared.settings import Environment

from .conftest import ELIGIBILITY, PREMIUM, csrf_of, settings, sign_in


async def test_every_page_carries_a_strict_content_security_policy(portal: httpx.AsyncClient) -> None:
    """No inline script or style can run; nothing loads from elsewhere (a closed network works)."""
    page = await portal.get("/signin")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page.text) == []  # every asset is the portal's own
    assert (await portal.get("/static/portal.js")).status_code == 200


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(portal: httpx.AsyncClient) -> None:
    page = await portal.get("/signin")
    refused = await portal.post(
        "/signin/dev", data={"role": "finance", "subject": "mallory", "csrf_token": "x"}
    )
    assert refused.status_code == 403
    assert (await portal.get("/batches")).status_code == 303  # still signed out
    accepted = await portal.post(
        "/signin/dev", data={"role": "finance", "subject": "wu", "csrf_token": csrf_of(page.text)}
    )
    assert accepted.status_code == 303
    assert (await portal.get("/")).status_code == 200


async def test_the_session_cookie_is_httponly_and_samesite_lax(portal: httpx.AsyncClient) -> None:
    cookie = (await portal.get("/signin")).headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # local mode over plain http; test and production set Secure


async def test_outside_local_mode_the_session_cookie_is_secure() -> None:
    from asgi_lifespan import LifespanManager

    from huimin_portal.app import create_app

    app = create_app(settings(environment=Environment.test))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://portal.test") as client,
    ):
        assert "secure" in (await client.get("/signin")).headers["set-cookie"].lower()


def test_production_refuses_the_development_session_secret_and_needs_an_identity_provider() -> None:
    with pytest.raises(ValidationError, match="PORTAL_SESSION_SECRET"):
        PortalSettings(environment=Environment.production)
    with pytest.raises(ValidationError, match="OpenID Connect"):
        PortalSettings(environment=Environment.production, session_secret="s" * 40)
    production = PortalSettings(
        environment=Environment.production,
        session_secret="s" * 40,
        oidc_metadata_url="https://idp.example/.well-known/openid-configuration",
        oidc_client_id="portal",
    )
    assert not production.development  # no development sign-in page in production


@pytest.mark.parametrize(
    ("target", "followed"),
    [
        ("/residents/1", "/residents/1"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
    ],
)
def test_after_sign_in_only_a_path_on_the_portal_is_followed(target: str, followed: str) -> None:
    assert local_path(target) == followed


async def test_a_page_for_other_roles_says_whose_it_is(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "community_officer", "210502")
    page = await portal.get("/batches")
    assert page.status_code == 403
    assert "此页面供以下角色使用" in page.text
    assert "finance" in page.text


@respx.mock
async def test_an_invalid_field_is_shown_at_the_field_with_the_services_reason(
    portal: httpx.AsyncClient,
) -> None:
    """RFC 9457: the problem's `errors` become a message at the field, marked aria-invalid, linked from the top."""
    respx.post(f"{ELIGIBILITY}/v1/residents").respond(
        422,
        json={
            "type": "https://huimin.example/problems/validation",
            "title": "Validation failed",
            "status": 422,
            "detail": "body.id_number: check character is 0, but the first 17 digits give 9",
            "errors": [
                {"field": "body.id_number", "reason": "check character is 0, but the first 17 digits give 9"}
            ],
        },
        headers={"Content-Type": "application/problem+json"},
    )
    await sign_in(portal, "community_officer", "210502")
    form = await portal.get("/residents/new")
    page = await portal.post(
        "/residents/new",
        data={
            "csrf_token": csrf_of(form.text),
            "id_number": "210504199003036020",
            "name": "居民R",
            "region_code": "210502",
            "community": "站前社区",
            "household": "H-R",
        },
    )
    assert page.status_code == 422
    assert "请更正以下内容" in page.text
    assert 'href="#f-id_number">公民身份号码</a>' in page.text
    assert 'aria-invalid="true"' in page.text
    assert "the first 17 digits give 9" in page.text
    assert 'value="居民R"' in page.text  # what was typed is kept


@respx.mock
async def test_a_service_that_does_not_answer_is_named_and_the_rest_of_the_page_is_shown(
    portal: httpx.AsyncClient,
) -> None:
    number = "210502198001015015"
    respx.get(f"{ELIGIBILITY}/v1/residents/{number}").respond(
        json={
            "id_number": number,
            "name": "居民P",
            "birth_date": "1980-01-01",
            "sex": "male",
            "region_code": "210502",
            "community": "站前社区",
            "household": "H-P",
            "employee_insurance_since": None,
            "registered_at": "2026-12-02T06:00:00+00:00",
            "recorded_at": "2026-12-02T06:00:00+00:00",
            "as_of": "2026-12-02T06:00:00+00:00",
        }
    )
    respx.get(f"{ELIGIBILITY}/v1/residents/{number}/status").respond(503, json={"status": 503, "title": "x"})
    respx.get(f"{ELIGIBILITY}/.well-known/jwks.json").respond(json={"keys": []})
    respx.get(f"{ELIGIBILITY}/v1/residents/{number}/certifications").respond(
        json={"id_number": number, "as_of": None, "items": []}
    )
    respx.get(f"{ELIGIBILITY}/v1/residents/{number}/reads").respond(json={"id_number": number, "reads": []})
    respx.post(f"{PREMIUM}/v1/quotes").mock(side_effect=httpx.ConnectError("refused"))
    await sign_in(portal, "community_officer", "210502")
    page = await portal.get(f"/residents/{number}?on=2019-10-02")
    assert page.status_code == 200
    assert "保费测算服务（premium）暂时无法访问" in page.text
    assert "页面其他部分照常使用" in page.text
    assert "居民P" in page.text  # eligibility's parts are there
    assert "尚无认定记录" in page.text


async def test_a_wrong_address_is_a_page_in_the_persons_language_not_json(portal: httpx.AsyncClient) -> None:
    await sign_in(portal, "finance")
    wrong_year = await portal.get("/batches?year=abc")
    assert wrong_year.status_code == 422
    assert "地址中的参数有误" in wrong_year.text
    assert "year" in wrong_year.text
    missing = await portal.get("/no-such-page")
    assert missing.status_code == 404
    assert "没有这个页面" in missing.text
