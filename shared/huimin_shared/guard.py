"""The request guard: what every request passes before a route reads it (issue 11).

An ASGI layer inside the request-id middleware and outside FastAPI, so it acts before any body is parsed:
- a request with a body to a guarded route is authenticated first: no token, no reading (401);
- the body is read in chunks against the route's limit — ``max_body_bytes`` (1 MiB) for JSON routes,
  ``max_upload_bytes`` for routes marked ``@upload_route``, or a route's own ``@body_limit`` — and refused with 413 as soon as it passes it
  (or at once from Content-Length); an upload is spooled to disk beyond 1 MiB, never held whole in memory;
- values PostgreSQL cannot store are refused with a 422 problem naming the field, in one place for every
  route: a NUL character in the path, the query or a JSON string, an unpaired surrogate, an integer
  beyond 64 bits (a path segment, a query value, a JSON number).
It also tells the database being down (connection refused, dropped, pool exhausted) from other failures,
so that is answered 503 with Retry-After instead of 500.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import exc as sa_exc
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huimin_shared.auth import TokenVerifier
from huimin_shared.errors import (
    PROBLEM_MEDIA_TYPE,
    DependencyUnavailable,
    FieldProblem,
    PayloadTooLarge,
    ServiceError,
    Unauthenticated,
    ValidationFailed,
)
from huimin_shared.idnumber import mask_in_text

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_IN_MEMORY_BYTES = 1024 * 1024  # bodies above this are spooled to a temporary file
_REPLAY_CHUNK = 64 * 1024
_INTEGER = re.compile(r"-?[0-9]+")
# Cheap scan of a JSON body for what needs the full walk: a \u0000 escape, a surrogate escape, a run of
# 19 digits (beyond 64 bits needs at least 19) or a large exponent (1e20 is read as an integer by pydantic).
_SUSPECT_JSON = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|[0-9]{19}|[eE]\+?[0-9]{2}")
DATABASE_RETRY_AFTER_SECONDS = 5


def upload_route(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route as taking a file upload: its body may be up to ``max_upload_bytes`` (spooled to disk)."""
    endpoint.huimin_upload = True  # type: ignore[attr-defined]
    return endpoint


def body_limit(max_bytes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a JSON route a body limit of its own (a list of up to 200,000 ID numbers needs more than the
    default); the body is still read whole into memory, as FastAPI will parse it anyway."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        endpoint.huimin_body_limit = max_bytes  # type: ignore[attr-defined]
        return endpoint

    return mark


def _is_open(route: APIRoute, open_paths: frozenset[str]) -> bool:
    return route.path in open_paths or bool(getattr(route.endpoint, "huimin_open", False))


def _beyond_int64(text: str) -> bool:
    return (
        _INTEGER.fullmatch(text) is not None and len(text) >= 19 and not INT64_MIN <= int(text) <= INT64_MAX
    )


def _text_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character, which cannot be stored"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired surrogate (not valid Unicode text)"
    return None


def _json_problems(value: Any, where: str, found: list[FieldProblem]) -> None:
    if isinstance(value, str):
        reason = _text_problem(value)
        if reason is not None:
            found.append(FieldProblem(field=where, reason=reason))
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            found.append(FieldProblem(field=where, reason="is beyond a 64-bit integer"))
    elif isinstance(value, float):
        if abs(value) > INT64_MAX:
            found.append(FieldProblem(field=where, reason="is beyond a 64-bit integer"))
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = _text_problem(key)
            if reason is not None:
                found.append(FieldProblem(field=where, reason=f"a key {reason}"))
            else:
                _json_problems(item, f"{where}.{key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_problems(item, f"{where}.{index}", found)


def json_body_problems(body: bytes) -> list[FieldProblem]:
    """What in a JSON body PostgreSQL could not take; empty when nothing (or when it is not JSON at all:
    FastAPI answers that with its own 422). Bytes that are no Unicode text at all are a 422 here too
    (FastAPI would answer them with a bare 400)."""
    try:
        body.decode(json.detect_encoding(body))
    except UnicodeDecodeError:
        return [FieldProblem(field="body", reason="is not JSON text: the bytes are not UTF-8")]
    if _SUSPECT_JSON.search(body) is None:
        return []
    try:
        document = json.loads(body)
    except ValueError:
        return []
    found: list[FieldProblem] = []
    _json_problems(document, "body", found)
    return found


def request_line_problems(path_params: dict[str, Any], query_string: bytes) -> list[FieldProblem]:
    """NUL characters and integers beyond 64 bits in the path parameters and the query."""
    found: list[FieldProblem] = []
    for name, value in path_params.items():
        text = str(value)
        reason = _text_problem(text)
        if reason is None and _beyond_int64(text):
            reason = "is beyond a 64-bit integer"
        if reason is not None:
            found.append(FieldProblem(field=f"path.{name}", reason=reason))
    query = query_string.decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        reason = _text_problem(name)
        if reason is not None:
            found.append(FieldProblem(field="query", reason=f"a parameter name {reason}"))
            continue
        reason = _text_problem(value)
        if reason is None and _beyond_int64(value):
            reason = "is beyond a 64-bit integer"
        if reason is not None:
            found.append(FieldProblem(field=f"query.{name}", reason=reason))
    return found


_CONNECTION_LOST = frozenset(
    {  # asyncpg's kinds for a connection that is gone or refused (named, so shared need not import asyncpg)
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
        "ConnectionRejectionError",
        "AdminShutdownError",
        "CrashShutdownError",
    }
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached — refused, dropped, starting up, no connection
    free — as opposed to a bug or a statement the database refused (those stay 500 or their own problem)."""
    if isinstance(exc, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        cause = exc.orig.__cause__ if exc.orig is not None else None
        return cause is not None and (
            type(cause).__name__ in _CONNECTION_LOST or isinstance(cause, (ConnectionError, TimeoutError))
        )
    if isinstance(exc, (ConnectionError, TimeoutError)):  # refused or reset while connecting
        return True
    if isinstance(exc, OSError) and exc.errno is not None and not exc.filename:  # unreachable host, DNS
        return True
    return type(exc).__name__ in _CONNECTION_LOST


def database_unavailable_error(service: str) -> DependencyUnavailable:
    return DependencyUnavailable(
        "database",
        f"the {service} database does not answer; try again shortly",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


async def send_problem(send: Send, scope: Scope, error: ServiceError) -> None:
    request_id = scope.get("state", {}).get("request_id")
    body = json.dumps(
        error.to_problem(instance=mask_in_text(scope.get("path", "")), request_id=request_id),
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Body:
    """A request body read once, in memory or spooled to disk, then replayed to the app in chunks."""

    def __init__(self, spool: bool) -> None:
        self.size = 0
        self._chunks: list[bytes] = []
        self._file: IO[bytes] | None = (
            tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES) if spool else None  # noqa: SIM115
        )

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self._file is not None:
            self._file.write(chunk)
        else:
            self._chunks.append(chunk)

    def in_memory(self) -> bytes | None:
        return b"".join(self._chunks) if self._file is None else None

    def replay(self) -> Iterator[bytes]:
        if self._file is None:
            yield b"".join(self._chunks)
            return
        self._file.seek(0)
        while chunk := self._file.read(_REPLAY_CHUNK):
            yield chunk

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class RequestGuardMiddleware:
    """See the module docstring. ``service_app`` is the FastAPI app (settings, token verifier); ``routes``
    its API routes with their full paths, matched here as the router will match them."""

    def __init__(
        self, app: ASGIApp, service_app: FastAPI, routes: Sequence[APIRoute], open_paths: frozenset[str]
    ) -> None:
        self.app = app
        self.service_app = service_app
        self.routes = list(routes)
        self.open_paths = open_paths

    def _route(self, scope: Scope) -> tuple[APIRoute, dict[str, Any]] | None:
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, child.get("path_params", {})
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self._route(scope)
        if found is None:  # 404, 405, docs: FastAPI answers without reading a body
            await self.app(scope, receive, send)
            return
        route, path_params = found
        problems = request_line_problems(path_params, scope.get("query_string", b""))
        if problems:
            await send_problem(send, scope, _invalid(problems))
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        if "content-length" not in headers and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        if not _is_open(route, self.open_paths):
            error = await self._authentication_error(headers.get("authorization"))
            if error is not None:
                await send_problem(send, scope, error)
                return
        settings = self.service_app.state.settings
        upload = bool(getattr(route.endpoint, "huimin_upload", False))
        own_limit: int | None = getattr(route.endpoint, "huimin_body_limit", None)
        limit: int = own_limit or (settings.max_upload_bytes if upload else settings.max_body_bytes)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await send_problem(send, scope, _too_large(limit))
            return
        body = _Body(spool=upload)
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body.add(message.get("body", b""))
                if body.size > limit:
                    await send_problem(send, scope, _too_large(limit))
                    return
                if not message.get("more_body", False):
                    break
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            raw = body.in_memory()
            if raw is not None and (content_type == "application/json" or content_type.endswith("+json")):
                problems = json_body_problems(raw)
                if problems:
                    await send_problem(send, scope, _invalid(problems))
                    return
            await self.app(scope, _replaying(body, receive), send)
        finally:
            body.close()

    async def _authentication_error(self, authorization: str | None) -> ServiceError | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Unauthenticated(
                "send a Bearer token in the Authorization header", headers={"WWW-Authenticate": "Bearer"}
            )
        verifier: TokenVerifier = self.service_app.state.token_verifier
        try:
            await verifier.verify(token.strip())
        except Unauthenticated as exc:
            return exc
        return None


def _replaying(body: _Body, receive: Receive) -> Receive:
    chunks = body.replay()
    finished = False

    async def replay() -> Message:
        nonlocal finished
        if finished:
            return await receive()  # after the body: wait for the client to disconnect
        chunk = next(chunks, None)
        if chunk is None:
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    return replay


def _invalid(problems: list[FieldProblem]) -> ValidationFailed:
    return ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in problems), errors=problems)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"this route accepts a body of at most {limit:,} bytes")
