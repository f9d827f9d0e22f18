"""Bearer JWT authentication and role checks.

HS256 with the configured secret by default; RS256 against an identity provider's JWKS
(Keycloak-style: roles in ``realm_access.roles``, the user in ``preferred_username``).
An optional ``region`` claim limits a token to one area code and the codes under it.

On behalf of (DRS-8): a service calling a peer for an end user sends, besides its own service token, the
user's own token in ``X-On-Behalf-Of``. The peer verifies that token exactly as it verifies any bearer
(signature, expiry, issuer, audience) and admits it only next to a ``service`` token, so nobody can name a
user they do not hold a valid token of. The user's region limit then applies to the call and the peer's read
log names the user (``Principal.reader``).

A ``resident`` token (from the identity provider, subject = the person's ID number) reads only that
person's own records: ``Principal.own_id_number`` is what the services' readable-row filters use.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from huimin_shared import areas
from huimin_shared.errors import Forbidden, OutOfRegion, TokenExpired, Unauthenticated
from huimin_shared.settings import JwtAlgorithm, SharedSettings


class Role(StrEnum):
    community_officer = "community_officer"  # 社区医保专管员 / 低保员
    civil_affairs = "civil_affairs"  # 民政部门
    social_insurance = "social_insurance"  # 劳动保障部门 · 社保局
    finance = "finance"  # 财政部门
    auditor = "auditor"  # 审计
    service = "service"  # another huimin service
    resident = "resident"  # the person themselves (subject = their ID number): their own records only
    admin = "admin"  # 系统管理员: integration settings (event subscriptions); reads no resident data


ON_BEHALF_OF_HEADER = "X-On-Behalf-Of"


# Roles that only ever act within a region: a token carrying one without a region claim is refused (fail
# closed), never read as city-wide.
REGION_LIMITED_ROLES = frozenset({Role.community_officer})


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    region: str | None = None
    name: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # The bearer token itself, to pass on to a peer as X-On-Behalf-Of (never logged).
    token: str | None = field(default=None, compare=False, repr=False)
    # The end user a service acts for, verified from their own token (X-On-Behalf-Of).
    on_behalf_of: Principal | None = None

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def own_id_number(self) -> str | None:
        """For a resident token (or a service acting for one): the one ID number it may read; else None."""
        person = self.on_behalf_of or self
        return person.subject.strip().upper() if Role.resident in person.roles else None

    @property
    def reader(self) -> str:
        """Who a read log names: the end user a service acts for, else the token's subject."""
        return self.on_behalf_of.subject if self.on_behalf_of is not None else self.subject

    @property
    def reader_roles(self) -> str:
        """The roles a read log names, with the service in between when it acts for a user."""
        own = ",".join(sorted(role.value for role in self.roles))
        if self.on_behalf_of is None:
            return own
        user = ",".join(sorted(role.value for role in self.on_behalf_of.roles))
        return f"{user} via {self.subject}"

    def covers(self, area_code: str) -> bool:
        """Whether the token's region (if any) includes ``area_code``."""
        return self.region is None or areas.contains(self.region, area_code)

    def ensure_covers(self, area_code: str) -> None:
        if not self.covers(area_code):
            raise OutOfRegion(f"this token is limited to region {self.region}; {area_code} lies outside it")


def _roles_from_claims(claims: dict[str, Any]) -> frozenset[Role]:
    raw: list[Any] = []
    if isinstance(claims.get("roles"), list):
        raw.extend(claims["roles"])
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, dict) and isinstance(realm_access.get("roles"), list):
        raw.extend(realm_access["roles"])
    known = {role.value for role in Role}
    return frozenset(Role(value) for value in raw if isinstance(value, str) and value in known)


class TokenVerifier:
    """Turns a bearer token into a ``Principal`` or raises the matching 401 problem."""

    def __init__(self, settings: SharedSettings) -> None:
        self._settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        if settings.jwt_algorithm is JwtAlgorithm.rs256:
            if not settings.jwt_jwks_url:
                raise ValueError("RS256 needs jwt_jwks_url, the identity provider's key set")
            self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url, cache_keys=True, lifespan=300, timeout=5)

    async def unready_reason(self) -> str | None:
        """Why tokens cannot be verified now (for /ready), or None when they can: an empty HS256
        secret, or an identity provider whose key set cannot be read or has no signing key."""
        if self._jwks is None:
            if not self._settings.jwt_secret.get_secret_value().strip():
                return "the JWT secret is empty: no token can be verified"
            return None
        try:  # raises too when the set holds no signing key
            await asyncio.to_thread(self._jwks.get_signing_keys)
        except jwt.PyJWKClientError as exc:
            return f"the identity provider's key set at {self._settings.jwt_jwks_url} cannot be used: {exc}"
        return None

    async def _key(self, token: str) -> Any:
        if self._jwks is None:
            return self._settings.jwt_secret.get_secret_value()
        jwks = self._jwks
        try:
            signing_key = await asyncio.to_thread(jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"the token's signing key could not be found: {exc}") from exc
        except jwt.DecodeError as exc:
            raise Unauthenticated("the token is not a well-formed JWT") from exc
        return signing_key.key

    async def verify(self, token: str) -> Principal:
        settings = self._settings
        key = await self._key(token)
        options: Any = {"require": ["exp", "sub"], "verify_aud": settings.jwt_audience is not None}
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[settings.jwt_algorithm.value],
                audience=settings.jwt_audience,
                issuer=settings.jwt_issuer,
                options=options,
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired("the token has expired; ask for a new one") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthenticated("the token's signature does not verify") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"the token is not valid: {exc}") from exc
        region = claims.get("region")
        if region is not None and (not isinstance(region, str) or not areas.is_area_code(region)):
            raise Unauthenticated("the token's region claim is not a six-digit area code")
        return Principal(
            subject=str(claims["sub"]),
            roles=_roles_from_claims(claims),
            region=region,
            name=claims.get("preferred_username") or claims.get("name"),
            claims=claims,
        )


def mint_token(
    secret: str,
    *,
    subject: str,
    roles: Iterable[Role | str],
    region: str | None = None,
    name: str | None = None,
    ttl_seconds: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    """An HS256 token with Keycloak-style claims (for development, tests and service calls)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "preferred_username": name or subject,
        "realm_access": {"roles": [Role(r).value for r in roles]},
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if region is not None:
        claims["region"] = region
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


_bearer = HTTPBearer(auto_error=False, description="JWT from the identity provider (or `huimin token`).")


def verifier_from(request: Request) -> TokenVerifier:
    verifier = getattr(request.app.state, "token_verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("the app has no token verifier; build it with huimin_shared.app.build_app")
    return verifier


async def authenticate(request: Request) -> Principal:
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated(
            "send a Bearer token in the Authorization header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    verifier = verifier_from(request)
    principal = replace(await verifier.verify(credentials.credentials), token=credentials.credentials)
    on_behalf_of = request.headers.get(ON_BEHALF_OF_HEADER)
    if on_behalf_of:
        principal = await _acting_for(verifier, principal, on_behalf_of)
    request.state.principal = principal
    return principal


async def _acting_for(verifier: TokenVerifier, service: Principal, user_token: str) -> Principal:
    """A service token carrying a user's own (verified) token: the user's region limit applies."""
    if Role.service not in service.roles:
        raise Forbidden(f"only a service may act on behalf of a user ({ON_BEHALF_OF_HEADER})")
    try:
        user = replace(await verifier.verify(user_token), token=user_token)
    except (Unauthenticated, TokenExpired) as exc:
        raise Unauthenticated(f"the {ON_BEHALF_OF_HEADER} token does not verify: {exc.detail}") from exc
    if Role.service in user.roles:
        raise Unauthenticated(f"the {ON_BEHALF_OF_HEADER} token is a service's, not an end user's")
    return replace(
        service, region=user.region if service.region is None else service.region, on_behalf_of=user
    )


def on_behalf_of_headers(principal: Principal | None) -> dict[str, str]:
    """The header a service sends a peer when it reads for ``principal`` (an end user, or a service that
    itself acts for one); nothing for a service acting on its own account."""
    if principal is None:
        return {}
    user = principal.on_behalf_of or principal
    if Role.service in user.roles or user.token is None:
        return {}
    return {ON_BEHALF_OF_HEADER: user.token}


def require_roles(*roles: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency admitting only tokens that carry one of ``roles``.

    The route's OpenAPI description lists the roles, so integrators see them in /docs.
    """
    admitted = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        if not principal.has_any(admitted):
            names = ", ".join(sorted(role.value for role in admitted))
            raise Forbidden(f"this route admits the roles {names}; the token has none of them")
        acting_as = principal.roles & admitted
        if principal.region is None and acting_as <= REGION_LIMITED_ROLES:
            names = ", ".join(sorted(role.value for role in acting_as))
            raise Forbidden(f"a {names} token is limited to a region, and this one has no region claim")
        return principal

    dependency.__name__ = "require_" + "_or_".join(sorted(role.value for role in admitted))
    dependency.admitted_roles = admitted  # type: ignore[attr-defined]
    return dependency
