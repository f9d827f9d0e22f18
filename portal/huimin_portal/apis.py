"""Calls to the three services with the signed-in person's token.

Every answer is turned into a value, an ``ApiProblem`` (an RFC 9457 problem the person can act on) or
``ServiceDown`` (the service did not answer), so each part of a page can fail on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

import httpx

from huimin_portal.settings import PortalSettings


class Service(StrEnum):
    eligibility = "eligibility"
    premium = "premium"
    settlement = "settlement"


@dataclass(frozen=True)
class FieldError:
    field: str  # the form field, without the location prefix (body., query.)
    reason: str


@dataclass
class ApiProblem(Exception):
    service: Service
    status: int
    title: str
    detail: str
    type: str = "about:blank"
    errors: list[FieldError] = field(default_factory=list)
    request_id: str | None = None

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.detail or self.title}"

    def for_field(self, name: str) -> list[str]:
        return [error.reason for error in self.errors if error.field == name]


@dataclass
class ServiceDown(Exception):
    service: Service
    reason: str

    def __str__(self) -> str:
        return f"{self.service} did not answer: {self.reason}"


def _field_name(location: str) -> str:
    for prefix in ("body.", "query.", "path."):
        if location.startswith(prefix):
            return location[len(prefix) :]
    return location


def problem_of(service: Service, response: httpx.Response) -> ApiProblem:
    """The RFC 9457 problem in ``response`` (or one made from its status when the body is not one)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    errors = [
        FieldError(_field_name(str(item.get("field", ""))), str(item.get("reason", "")))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    return ApiProblem(
        service=service,
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase),
        detail=str(body.get("detail") or ""),
        type=str(body.get("type") or "about:blank"),
        errors=errors,
        request_id=body.get("request_id") or response.headers.get("X-Request-ID"),
    )


class Apis:
    """The three APIs as one signed-in person sees them. Holds no data between requests."""

    def __init__(self, http: httpx.AsyncClient, settings: PortalSettings, token: str | None) -> None:
        self._http = http
        self._base = {
            Service.eligibility: settings.eligibility_url.rstrip("/"),
            Service.premium: settings.premium_url.rstrip("/"),
            Service.settlement: settings.settlement_url.rstrip("/"),
        }
        self._token = token

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"X-Request-ID": uuid.uuid4().hex}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        headers.update(extra or {})
        return headers

    async def request(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The raw answer when it is a success; otherwise ``ApiProblem`` or ``ServiceDown``."""
        try:
            response = await self._http.request(
                method,
                self._base[service] + path,
                params={k: v for k, v in (params or {}).items() if v is not None and v != ""},
                json=json,
                files=files,
                data=data,
                headers=self._headers(headers),
            )
        except httpx.TimeoutException as exc:
            raise ServiceDown(service, "timed out") from exc
        except httpx.TransportError as exc:
            raise ServiceDown(service, type(exc).__name__) from exc
        if response.status_code >= 400:
            problem = problem_of(service, response)
            if response.status_code in (502, 504) and problem.type == "about:blank":
                raise ServiceDown(service, f"HTTP {response.status_code}")  # a proxy in front of it
            raise problem
        return response

    async def get(self, service: Service, path: str, **params: Any) -> Any:
        return (await self.request(service, "GET", path, params=params)).json()

    async def post(
        self, service: Service, path: str, body: Any, *, headers: Mapping[str, str] | None = None
    ) -> Any:
        return (await self.request(service, "POST", path, json=body, headers=headers)).json()

    async def jwks(self) -> Any:
        return await self.get(Service.eligibility, "/.well-known/jwks.json")


T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """One part of a page: its value, or why it is missing."""

    value: T | None = None
    problem: ApiProblem | None = None
    down: ServiceDown | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.down is None


async def attempt(call: Awaitable[T]) -> Outcome[T]:
    try:
        return Outcome(value=await call)
    except ApiProblem as problem:
        return Outcome(problem=problem)
    except ServiceDown as down:
        return Outcome(down=down)
