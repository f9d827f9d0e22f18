"""Who is signed in, kept in the signed session cookie (the portal itself stores nothing).

The cookie holds the person's API token and what the portal needs to choose pages (roles, region).
The roles are read from the token only to decide which pages to offer: every API checks the token
itself and answers 401/403 when it does not admit the call.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request

from huimin_shared.auth import Role

USER_KEY = "user"
CSRF_KEY = "csrf"
LANGUAGE_KEY = "lang"


@dataclass(frozen=True)
class SignedIn:
    token: str
    subject: str
    name: str
    roles: frozenset[str]
    region: str | None
    expires_at: int
    via: str  # "development" or "oidc"

    def has(self, *roles: Role) -> bool:
        return any(role.value in self.roles for role in roles)


def claims_of(token: str) -> dict[str, Any]:
    """The token's claims, unverified: the APIs verify it on every call."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def roles_of(claims: dict[str, Any]) -> frozenset[str]:
    raw: list[Any] = list(claims.get("roles") or [])
    access = claims.get("realm_access")
    if isinstance(access, dict):
        raw.extend(access.get("roles") or [])
    known = {role.value for role in Role}
    return frozenset(value for value in raw if isinstance(value, str) and value in known)


def sign_in(request: Request, token: str, via: str) -> SignedIn:
    claims = claims_of(token)
    user = SignedIn(
        token=token,
        subject=str(claims.get("sub", "")),
        name=str(claims.get("preferred_username") or claims.get("name") or claims.get("sub", "")),
        roles=roles_of(claims),
        region=claims.get("region") if isinstance(claims.get("region"), str) else None,
        expires_at=int(claims.get("exp") or time.time() + 3600),
        via=via,
    )
    language = request.session.get(LANGUAGE_KEY)
    request.session.clear()  # a new session (and CSRF token): nothing carried over from before sign-in
    if language:
        request.session[LANGUAGE_KEY] = language
    request.session[USER_KEY] = {
        "token": user.token,
        "subject": user.subject,
        "name": user.name,
        "roles": sorted(user.roles),
        "region": user.region,
        "expires_at": user.expires_at,
        "via": user.via,
    }
    return user


def signed_in(request: Request) -> SignedIn | None:
    stored = request.session.get(USER_KEY)
    if not isinstance(stored, dict):
        return None
    if int(stored.get("expires_at", 0)) <= time.time():
        request.session.pop(USER_KEY, None)
        return None
    return SignedIn(
        token=stored["token"],
        subject=stored["subject"],
        name=stored["name"],
        roles=frozenset(stored["roles"]),
        region=stored.get("region"),
        expires_at=int(stored["expires_at"]),
        via=stored["via"],
    )


def sign_out(request: Request) -> None:
    language = request.session.get(LANGUAGE_KEY)
    request.session.clear()
    if language:
        request.session[LANGUAGE_KEY] = language


def csrf_token(request: Request) -> str:
    """The session's CSRF token (synchroniser token), made on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def csrf_valid(request: Request, submitted: object) -> bool:
    expected = request.session.get(CSRF_KEY)
    return (
        isinstance(expected, str)
        and isinstance(submitted, str)
        and secrets.compare_digest(expected.encode(), submitted.encode())
    )
