"""create_app(settings) → the portal: middleware (session cookie, security headers), pages, static files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huimin_portal import (
    appeal_pages,
    auth_pages,
    finance_pages,
    officer_pages,
    resident_pages,
    review_pages,
    search_pages,
)
from huimin_portal.apis import ApiProblem
from huimin_portal.settings import PortalSettings
from huimin_portal.web import CsrfRefused, NotSignedIn, RoleNotAllowed, render
from huimin_shared.settings import Environment

STATIC = Path(__file__).parent / "static"

# No inline script or style anywhere: every script and stylesheet is a file the portal serves.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
}


class SecurityHeaders:
    """Adds the CSP and its companions to every answer; pages about people are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in SECURITY_HEADERS]
                headers.extend(SECURITY_HEADERS.items())
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    settings = settings or PortalSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.api_timeout_seconds) as http:
            app.state.http = http
            yield

    app = FastAPI(
        title="huimin community portal",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.oauth = auth_pages.oauth_client(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="huimin_portal",
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.environment is not Environment.local,  # Secure outside local mode
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        auth_pages.router,
        officer_pages.router,
        review_pages.router,
        finance_pages.router,
        resident_pages.router,
        search_pages.router,
        appeal_pages.router,
    ):
        app.include_router(router)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)

    @app.exception_handler(RoleNotAllowed)
    async def role_not_allowed(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RoleNotAllowed):  # registered for that class only
            raise exc
        roles = ", ".join(role.value for role in exc.roles)
        return render(
            request,
            "message.html",
            {"heading": "forbidden.title", "text": "forbidden.text", "params": {"roles": roles}},
            403,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_address(request: Request, exc: Exception) -> Response:
        # A hand-edited address (?year=abc): a page saying which part, not a JSON body.
        if not isinstance(exc, RequestValidationError):  # registered for that class only
            raise exc
        names = ", ".join(str(error["loc"][-1]) for error in exc.errors())
        return render(
            request,
            "message.html",
            {"heading": "address.invalid", "text": "address.invalid.text", "params": {"names": names}},
            422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):  # registered for that class only
            raise exc
        heading = "address.unknown" if exc.status_code == 404 else "address.not_allowed"
        return render(request, "message.html", {"heading": heading}, exc.status_code)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return render(request, "message.html", {"heading": "csrf.title", "text": "csrf.text"}, 403)

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: Exception) -> Response:
        # Reached only when a page lets a problem through: 401 means the token is no longer accepted.
        if not isinstance(exc, ApiProblem):  # registered for that class only
            raise exc
        if exc.status == 401:
            request.session.clear()
            return RedirectResponse("/signin?message=expired", status_code=303)
        return render(request, "message.html", {"heading": "problem.title", "problem": exc}, 502)

    return app
