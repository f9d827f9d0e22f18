"""Signing in and out, and the language switch.

OpenID Connect: authorization code with PKCE (S256) through Authlib; state, nonce and the code
verifier wait in the signed session cookie, so any replica can take the callback. In local and test
mode a development sign-in mints a token the way `huimin token` does, and says so on every page.
"""

from __future__ import annotations

import warnings
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from huimin_portal import i18n, session
from huimin_portal.settings import PortalSettings
from huimin_portal.web import Form, User, render, settings_of, text
from huimin_shared import areas, idnumber
from huimin_shared.auth import Role, mint_token

with warnings.catch_warnings():
    # Authlib uses httpx (the project's HTTP client) and warns that it would rather have httpx2;
    # its module sets an "always" filter on import, so the quiet one goes after it.
    import authlib.deprecate

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.starlette_client import OAuth
    from joserfc.errors import JoseError

router = APIRouter(include_in_schema=False)

DEV_ROLES = (
    Role.community_officer,
    Role.civil_affairs,
    Role.finance,
    Role.social_insurance,
    Role.auditor,
    Role.resident,
)
DEV_TOKEN_TTL_SECONDS = 8 * 3600


def oauth_client(settings: PortalSettings) -> OAuth | None:
    if not settings.oidc_configured:
        return None
    oauth = OAuth()
    oauth.register(
        "idp",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None,
        server_metadata_url=settings.oidc_metadata_url,
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    return oauth


def local_path(target: str | None) -> str:
    """Only a path on this portal is followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/signin")
async def signin_page(request: Request, next: str = "/", message: str | None = None) -> Response:
    regions = [("", "—")] + [(code, f"{area.name} ({code})") for code, area in areas.AREAS.items()]
    return render(
        request,
        "signin.html",
        {
            "next": local_path(next),
            "roles": [(role.value, role.value) for role in DEV_ROLES],
            "regions": regions,
            "message": f"signin.message.{message}" if message in ("expired", "signedout") else None,
        },
    )


@router.post("/signin/dev")
async def dev_signin(request: Request, form: Form) -> Response:
    settings = settings_of(request)
    if not settings.development:
        return render(request, "message.html", {"heading": "signin.dev.off"}, 404)
    role = text(form, "role")
    region = text(form, "region") or None
    subject = text(form, "subject")
    if role not in {r.value for r in DEV_ROLES} or not subject or len(subject) > 64:
        return render(request, "message.html", {"heading": "signin.dev.invalid"}, 422)
    if region is not None and not areas.is_area_code(region):
        return render(request, "message.html", {"heading": "signin.dev.invalid"}, 422)
    if role == Role.resident:
        # A resident's token subject is their ID number: the services admit only that person's records.
        if not idnumber.is_valid(subject):
            return render(request, "message.html", {"heading": "signin.dev.invalid"}, 422)
        subject, region = idnumber.normalize(subject), None
    token = mint_token(
        settings.jwt_secret.get_secret_value(),
        subject=subject,
        roles=[role],
        region=region,
        ttl_seconds=DEV_TOKEN_TTL_SECONDS,
    )
    session.sign_in(request, token, via="development")
    return RedirectResponse(local_path(text(form, "next")), status_code=303)


@router.get("/signin/oidc")
async def oidc_start(request: Request, next: str = "/") -> Response:
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        return render(request, "message.html", {"heading": "signin.oidc.off"}, 404)
    settings = settings_of(request)
    redirect_uri = (
        settings.public_url.rstrip("/") + "/signin/callback"
        if settings.public_url
        else str(request.url_for("oidc_callback"))
    )
    request.session["after_signin"] = local_path(next)
    response: Response = await oauth.idp.authorize_redirect(request, redirect_uri)
    return response


@router.get("/signin/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        return render(request, "message.html", {"heading": "signin.oidc.off"}, 404)
    try:
        token: dict[str, Any] = await oauth.idp.authorize_access_token(request)
    except (AuthlibBaseError, JoseError) as exc:  # refused, another state, an ID token that does not verify
        return render(
            request,
            "message.html",
            {
                "heading": "signin.oidc.failed",
                "text": "signin.oidc.failed.text",
                "params": {"error": str(exc)},
            },
            400,
        )
    after = local_path(request.session.get("after_signin"))
    session.sign_in(request, token["access_token"], via="oidc")
    return RedirectResponse(after, status_code=303)


@router.post("/signout")
async def signout(request: Request, form: Form) -> Response:
    session.sign_out(request)
    return RedirectResponse("/signin?message=signedout", status_code=303)


@router.post("/language")
async def choose_language(request: Request, form: Form) -> Response:
    chosen = text(form, "lang")
    if chosen in i18n.LANGUAGES:
        request.session[session.LANGUAGE_KEY] = chosen
    return RedirectResponse(local_path(text(form, "next")), status_code=303)


@router.get("/")
async def home(request: Request, user: User) -> Response:
    pages: list[tuple[str, str]] = []
    if user.has(Role.community_officer, Role.civil_affairs):
        pages += [("/residents", "nav.residents"), ("/applications", "nav.applications")]
    if user.has(Role.community_officer, Role.civil_affairs, Role.auditor):
        pages += [("/search", "nav.search")]
    if user.has(Role.community_officer, Role.civil_affairs):
        pages += [("/appeals", "nav.appeals")]
    if user.has(Role.community_officer):
        pages += [
            ("/residents/new", "nav.register"),
            ("/applications/new", "nav.apply"),
            ("/reports", "nav.reports"),
        ]
    if user.has(Role.civil_affairs):
        pages += [("/imports", "nav.imports")]
    if user.has(Role.civil_affairs, Role.finance, Role.social_insurance, Role.auditor):
        pages += [("/schedule", "nav.schedule"), ("/batches", "nav.batches")]
    if user.has(Role.finance, Role.auditor):
        pages += [("/reconciliation", "nav.reconciliation")]
    if user.has(Role.civil_affairs, Role.finance, Role.social_insurance, Role.auditor):
        pages += [("/r1", "nav.r1"), ("/dashboard", "nav.dashboard")]
    if user.has(Role.resident):
        pages += [("/me", "nav.me")]
    return render(request, "home.html", {"pages": pages})
