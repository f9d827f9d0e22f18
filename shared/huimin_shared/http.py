"""The service-to-service HTTP client: one typed client class per peer builds on ``PeerClient``.

It passes ``X-Request-ID`` and the service's token, sets timeouts, retries idempotent calls
with backoff (stamina) and turns 5xx, 429, refused connections and time-outs into
``DependencyUnavailable`` naming the peer, so a caller answers 503 instead of 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import stamina
import structlog

from huimin_shared.errors import DependencyUnavailable, ServiceError
from huimin_shared.logging import request_id_var

log = structlog.get_logger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class PeerResponseError(ServiceError):
    """A peer answered with a problem the caller passes on (4xx other than 429)."""

    def __init__(self, service: str, status: int, problem: dict[str, Any]) -> None:
        detail = str(problem.get("detail") or problem.get("title") or f"{service} answered {status}")
        super().__init__(f"{service}: {detail}", extra={"service": service, "upstream": problem})
        self.status = status  # type: ignore[misc]
        self.problem = problem


class _Retryable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PeerClient:
    """Base for ``EligibilityClient``, ``PremiumClient`` …: one per peer, sharing one AsyncClient."""

    service: str = "peer"

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        token: Callable[[], str],
        *,
        attempts: int = 3,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._attempts = max(1, attempts)
        self._timeout = timeout

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        request_id = request_id_var.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        if extra:
            headers.update(extra)
        return headers

    async def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(
                method, self._base_url + path, timeout=self._timeout, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise _Retryable(f"{method} {path} timed out after {self._timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"{method} {path} could not connect: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(f"{method} {path} answered {response.status_code}")
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request; retry only when it is safe to send twice (idempotent methods or keys)."""
        method = method.upper()
        retry = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        attempts = self._attempts if retry else 1
        all_headers = self._headers(headers)
        try:
            async for attempt in stamina.retry_context(
                on=_Retryable, attempts=attempts, wait_initial=0.1, wait_max=2.0, timeout=None
            ):
                with attempt:
                    response = await self._send_once(method, path, headers=all_headers, **kwargs)
        except _Retryable as exc:
            log.warning("peer_unavailable", peer=self.service, reason=exc.reason)
            raise DependencyUnavailable(
                self.service, f"the {self.service} service is unavailable: {exc.reason}"
            ) from exc
        if response.status_code >= 400:
            raise PeerResponseError(self.service, response.status_code, _problem_of(response))
        return response

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return (await self.request("GET", path, **kwargs)).json()

    async def post_json(self, path: str, body: Any, *, idempotent: bool = False, **kwargs: Any) -> Any:
        return (await self.request("POST", path, json=body, idempotent=idempotent, **kwargs)).json()


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.text[:200]}
    return body if isinstance(body, dict) else {"status": response.status_code, "detail": str(body)[:200]}
