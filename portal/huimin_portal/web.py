"""What every page shares: templates, the signed-in person, CSRF-checked forms, role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from huimin_portal import i18n
from huimin_portal.apis import ApiProblem, Apis, ServiceDown
from huimin_portal.session import LANGUAGE_KEY, SignedIn, csrf_token, csrf_valid, signed_in
from huimin_portal.settings import PortalSettings
from huimin_shared import areas
from huimin_shared.auth import Role

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CSRF_FIELD = "csrf_token"


class NotSignedIn(Exception):
    """The page needs a signed-in person (or the token has expired)."""


class CsrfRefused(Exception):
    """A form came without this session's CSRF token."""


class RoleNotAllowed(Exception):
    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles


def today() -> date:
    return datetime.now(SHANGHAI).date()


def language(request: Request) -> str:
    chosen = request.session.get(LANGUAGE_KEY)
    return chosen if chosen in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


def settings_of(request: Request) -> PortalSettings:
    settings: PortalSettings = request.app.state.settings
    return settings


def area_name(code: str | None, lang: str) -> str:
    if not code:
        return i18n.translate(lang, "area.all")
    area = areas.AREAS.get(code)
    return f"{area.name} ({code})" if area else code


def local_time(instant: str | None) -> str:
    """An ISO instant from an API as Beijing time, to the minute (the people using the portal are there)."""
    if not instant:
        return "—"
    try:
        return datetime.fromisoformat(instant).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return instant


TEMPLATES.env.filters["local_time"] = local_time


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    lang = language(request)
    user = signed_in(request)
    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "t": lambda message, /, **kw: i18n.translate(lang, message, **kw),
        "csrf_token": csrf_token(request),
        "user": user,
        "Role": Role,
        "area_name": lambda code: area_name(code, lang),
        "area_short": lambda code: areas.AREAS[code].name if code in areas.AREAS else code,
        "settings": settings_of(request),
    }
    values.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)


async def current_user(request: Request) -> SignedIn:
    user = signed_in(request)
    if user is None:
        raise NotSignedIn
    return user


User = Annotated[SignedIn, Depends(current_user)]


def apis_for(request: Request, user: User) -> Apis:
    http: httpx.AsyncClient = request.app.state.http
    return Apis(http, settings_of(request), user.token)


ApisDep = Annotated[Apis, Depends(apis_for)]


def require(*roles: Role) -> Callable[[Request], Awaitable[SignedIn]]:
    """A page for these roles only; others see which roles it is for."""

    async def dependency(request: Request) -> SignedIn:
        user = await current_user(request)
        if not user.has(*roles):
            raise RoleNotAllowed(roles)
        return user

    return dependency


async def checked_form(request: Request) -> FormData:
    """The posted form, after its CSRF token is compared with the session's."""
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        raise CsrfRefused
    return form


Form = Annotated[FormData, Depends(checked_form)]


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def failure(error: ApiProblem | ServiceDown) -> dict[str, ApiProblem | ServiceDown | None]:
    """The template values that show ``error``: a problem to act on, or a service that is down."""
    if isinstance(error, ApiProblem):
        return {"problem": error, "down": None}
    return {"problem": None, "down": error}


def failure_status(error: ApiProblem | ServiceDown) -> int:
    """The portal's own status for a page whose main call failed."""
    if isinstance(error, ServiceDown):
        return 503
    return error.status if error.status in (400, 403, 404, 409, 422) else 502
