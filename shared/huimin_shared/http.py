"""The service-to-service HTTP client: one typed client class per peer builds on ``PeerClient``.

It passes ``X-Request-ID`` and the service's token, sets timeouts, retries idempotent calls
with backoff (stamina) and turns 5xx, 429, refused connections and time-outs into
``DependencyUnavailable`` naming the peer, so a caller answers 503 instead of 500.
``stream_ndjson`` reads a peer's NDJSON stream line by line with the same error mapping; ``stream_bytes``
passes a streamed body on in the chunks it arrives in (to feed a COPY without parsing it here).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Self

import httpx
import stamina
import structlog

from huimin_shared.errors import DependencyUnavailable, ServiceError
from huimin_shared.logging import request_id_var

if TYPE_CHECKING:
    from huimin_shared.app import Runtime

log = structlog.get_logger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
NDJSON = "application/x-ndjson"


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

    @classmethod
    def from_runtime(cls, runtime: Runtime, base_url: str) -> Self:
        """The client a route or job uses: the lifespan's AsyncClient, the service token, the peer settings."""
        settings = runtime.settings
        return cls(
            runtime.http,
            base_url,
            runtime.service_token,
            attempts=settings.peer_retry_attempts,
            timeout=settings.peer_timeout_seconds,
        )

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._token()}", "Accept": "application/json"}
        request_id = request_id_var.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        if extra:
            headers.update(extra)
        return headers

    async def _checked(
        self, method: str, path: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """One attempt: a failure worth retrying (no connection, time-out, 5xx, 429) is ``_Retryable``."""
        try:
            response = await send()
        except httpx.TimeoutException as exc:
            raise _Retryable(f"{method} {path} timed out after {self._timeout:g}s") from exc
        except httpx.TransportError as exc:
            raise _Retryable(f"{method} {path} could not connect: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            await response.aclose()
            raise _Retryable(f"{method} {path} answered {response.status_code}")
        return response

    async def _send(
        self, method: str, path: str, attempts: int, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """``send`` up to ``attempts`` times; then a 503 naming the peer, or the peer's own 4xx problem."""
        try:
            async for attempt in stamina.retry_context(
                on=_Retryable, attempts=attempts, wait_initial=0.1, wait_max=2.0, timeout=None
            ):
                with attempt:
                    response = await self._checked(method, path, send)
        except _Retryable as exc:
            raise self._unavailable(exc.reason) from exc
        if response.status_code >= 400:
            try:
                await response.aread()  # a streamed answer's problem body is still unread
            finally:
                await response.aclose()
            raise PeerResponseError(self.service, response.status_code, _problem_of(response))
        return response

    def _unavailable(self, reason: str) -> DependencyUnavailable:
        log.warning("peer_unavailable", peer=self.service, reason=reason)
        return DependencyUnavailable(self.service, f"the {self.service} service is unavailable: {reason}")

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
        all_headers = self._headers(headers)
        url = self._base_url + path
        return await self._send(
            method,
            path,
            self._attempts if retry else 1,
            lambda: self._http.request(method, url, headers=all_headers, timeout=self._timeout, **kwargs),
        )

    async def stream_ndjson(
        self,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
    ) -> AsyncIterator[bytes]:
        """GET ``path`` as NDJSON and yield each non-blank line as bytes, never the whole answer in memory
        (POST with ``json_body``: a read whose question is too long for a query string, such as an ID list).

        Lines are bytes, not dicts: callers parse them faster themselves (``json.loads`` and pydantic's
        ``model_validate_json`` take bytes, with no decoding step in between). Opening the stream is
        retried like any GET; once a line has been yielded a retry would repeat lines, so a break
        mid-stream is a ``DependencyUnavailable`` saying after which line, and the caller starts over.
        """
        all_headers = self._headers({"Accept": NDJSON, **(headers or {})})
        url = self._base_url + path

        method = "GET" if json_body is None else "POST"

        def send() -> Awaitable[httpx.Response]:
            request = self._http.build_request(
                method, url, params=params, headers=all_headers, json=json_body, timeout=self._timeout
            )
            return self._http.send(request, stream=True)

        response = await self._send(method, path, self._attempts, send)
        number = 0
        try:
            rest = b""
            async for chunk in response.aiter_bytes():
                *complete, rest = (rest + chunk).split(b"\n")
                for raw in complete:
                    if raw.strip():
                        number += 1
                        yield raw
            if rest.strip():
                yield rest
        except httpx.TimeoutException as exc:
            raise self._unavailable(f"{method} {path} timed out after line {number}") from exc
        except httpx.TransportError as exc:
            raise self._unavailable(
                f"{method} {path} broke off after line {number}: {exc.__class__.__name__}"
            ) from exc
        finally:
            await response.aclose()

    async def stream_bytes(
        self, path: str, *, accept: str = NDJSON, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[bytes]:
        """GET ``path`` and yield its body in the chunks it arrives in, never the whole answer in memory.
        Opening is retried like any GET; a break once bytes were yielded is a ``DependencyUnavailable``
        saying after how many bytes (a retry would repeat them), and the caller starts over."""
        all_headers = self._headers({"Accept": accept, **(headers or {})})
        url = self._base_url + path

        def send() -> Awaitable[httpx.Response]:
            request = self._http.build_request("GET", url, headers=all_headers, timeout=self._timeout)
            return self._http.send(request, stream=True)

        response = await self._send("GET", path, self._attempts, send)
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                yield chunk
        except httpx.TimeoutException as exc:
            raise self._unavailable(f"GET {path} timed out after {size} bytes") from exc
        except httpx.TransportError as exc:
            raise self._unavailable(
                f"GET {path} broke off after {size} bytes: {exc.__class__.__name__}"
            ) from exc
        finally:
            await response.aclose()

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
