"""What every huimin service is built on: ``build_app`` returns a FastAPI app with the error
model, request ids, JSON access logs, Prometheus metrics, /health, /ready and the database,
HTTP client and token verifier opened and closed by the lifespan.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huimin_shared import db, openapi
from huimin_shared.auth import Role, TokenVerifier, mint_token, verifier_from
from huimin_shared.errors import PROBLEM_MEDIA_TYPE, ServiceError, install_problem_handlers
from huimin_shared.guard import (
    RequestGuardMiddleware,
    database_unavailable,
    database_unavailable_error,
    send_problem,
)
from huimin_shared.idnumber import mask_in_text
from huimin_shared.logging import configure_logging, request_id_var
from huimin_shared.migrations import head_revision
from huimin_shared.settings import JwtAlgorithm, SharedSettings

log = structlog.get_logger("huimin.access")

_REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
OPEN_PATHS = frozenset(
    {
        "/health",
        "/ready",
        "/metrics",
        openapi.DOCS_URL,
        openapi.REDOC_URL,
        "/openapi.json",
        openapi.OAUTH2_REDIRECT_URL,
    }
)


@dataclass
class Runtime:
    """Resources opened by the lifespan, reachable from ``request.app.state.runtime``."""

    settings: SharedSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient

    def service_token(self) -> str:
        """The bearer token this service presents to its peers."""
        settings = self.settings
        if settings.service_token is not None:
            return settings.service_token.get_secret_value()
        if settings.jwt_algorithm is not JwtAlgorithm.hs256:
            raise RuntimeError("with RS256, configure service_token from the identity provider")
        return mint_token(
            settings.jwt_secret.get_secret_value(),
            subject=f"service:{settings.service_name}",
            roles=[Role.service],
            ttl_seconds=300,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in db.session_scope(runtime_of(request).sessions):
        yield session


# scope="function": commit before the response is sent, so a failed commit is the client's error too.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_driver_connection(request: Request) -> AsyncIterator[Any]:
    """A pooled asyncpg connection outside any explicit transaction, for a hot path that is one statement
    (its own implicit transaction): no BEGIN and COMMIT round trips around it, as SessionDep has."""
    # Straight from the pool, no SQLAlchemy Connection (~10 % of a look-up's CPU); the pool's reset on
    # return issues no statement, as no transaction was begun through SQLAlchemy.
    pooled = await runtime_of(request).engine.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        await greenlet_spawn(pooled.close)


DriverConnectionDep = Annotated[Any, Depends(get_driver_connection, scope="function")]
RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


class _Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.service = service


class RequestContextMiddleware:
    """Request id (taken from X-Request-ID or made), one masked access log line, metrics."""

    def __init__(self, app: ASGIApp, metrics: _Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        began = time.perf_counter()
        status = 500

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                if database_unavailable(exc) and not started:
                    # The database is down or unreachable: the client may retry, it is not a bug (503).
                    log.warning(
                        "database_unavailable", error=repr(exc)[:300], path=mask_in_text(scope["path"])
                    )
                    await send_problem(send_with_id, scope, database_unavailable_error(self.metrics.service))
                    return
                # Answered here, inside the request id, so no traceback ever reaches a client.
                log.exception("unhandled_error", method=scope["method"], path=mask_in_text(scope["path"]))
                if started:
                    raise
                await _send_internal_error(send_with_id, mask_in_text(scope["path"]), request_id)
        finally:
            elapsed = time.perf_counter() - began
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(self.metrics.service, method, template, str(status)).inc()
            self.metrics.duration.labels(self.metrics.service, method, template).observe(elapsed)
            if scope["path"] not in ("/health", "/metrics"):
                log.info(
                    "request",
                    method=method,
                    path=mask_in_text(scope["path"]),
                    status=status,
                    duration_ms=round(elapsed * 1000, 1),
                )
            request_id_var.reset(token)


async def _send_internal_error(send: Send, path: str, request_id: str) -> None:
    body = ServiceError("An unexpected error happened; it has been logged with this request id.").to_problem(
        instance=path, request_id=request_id
    )
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class Health(BaseModel):
    status: str = Field(description="`ok` when the process answers.")
    service: str


class Readiness(BaseModel):
    status: str = Field(description="`ready` or `not_ready`.")
    service: str
    database: bool = Field(description="The service's database answers.")
    revision: str | None = Field(description="Migration revision applied to the database.")
    head: str | None = Field(description="Newest migration revision the code knows.")
    auth: bool = Field(
        default=True, description="Bearer tokens can be verified (secret or identity provider)."
    )
    reasons: list[str] = Field(
        default_factory=list, description="Why the service is not ready, if it is not."
    )


def _ops_router(service: str, migrations: str | None) -> APIRouter:
    router = APIRouter(tags=["operations"])
    head = head_revision(migrations) if migrations else None

    @router.get("/health", summary="Liveness: the process answers", response_model=Health)
    async def health() -> Health:
        return Health(status="ok", service=service)

    @router.get(
        "/ready",
        operation_id="getReadiness",
        summary="Readiness: the database answers and its migrations are at head",
        response_model=Readiness,
        responses={
            503: {
                "model": Readiness,
                "description": "Not ready: database down, migrations behind or tokens unverifiable.",
            }
        },
    )
    async def ready(request: Request) -> JSONResponse:
        runtime = runtime_of(request)
        reachable = await db.database_reachable(runtime.engine)
        revision = await db.current_revision(runtime.engine) if reachable else None
        reasons = []
        if not reachable:
            reasons.append("the database does not answer")
        elif revision != head:
            reasons.append(f"the database is at migration {revision}, the code needs {head}")
        auth_problem = await verifier_from(request).unready_reason()
        if auth_problem is not None:
            reasons.append(auth_problem)
        ok = not reasons
        body = Readiness(
            status="ready" if ok else "not_ready",
            service=service,
            database=reachable,
            revision=revision,
            head=head,
            auth=auth_problem is None,
            reasons=reasons,
        )
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        registry: CollectorRegistry = request.app.state.metrics.registry
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _admitted_roles(route: APIRoute) -> frozenset[Role] | None:
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        roles = getattr(dependant.call, "admitted_roles", None)
        if roles is not None:
            return frozenset(roles)
        stack.extend(dependant.dependencies)
    return None


def _api_routes(routes: Sequence[Any]) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # a router included into a router
            found.extend(_api_routes(route.original_router.routes))
    return found


def _document_roles(routers: Sequence[APIRouter]) -> None:
    """Append the admitted roles to each route's description, so /docs states them; refuse
    a route that has no role check."""
    for route in _api_routes([route for router in routers for route in router.routes]):
        if route.path in OPEN_PATHS or getattr(route.endpoint, "huimin_open", False):
            continue
        roles = _admitted_roles(route)
        if roles is None:
            raise RuntimeError(
                f"{route.path} has no role check; every route but health, ready and metrics needs one"
            )
        names = ", ".join(f"`{role.value}`" for role in sorted(roles))
        marker = "\n\n**Roles:** "
        description = (route.description or "").split(marker)[0].rstrip()
        route.description = description + f"{marker}{names}."


def _guarded(route: APIRoute) -> bool:
    return _admitted_roles(route) is not None


def open_route(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a route as public on purpose (a JWKS, say), so ``build_app`` admits it unguarded."""
    endpoint.huimin_open = True  # type: ignore[attr-defined]
    return endpoint


LifespanHook = Callable[[FastAPI, Runtime], AbstractAsyncContextManager[None]]


def build_app(
    settings: SharedSettings,
    *,
    title: str,
    description: str,
    version: str,
    migrations: str | None,
    routers: Sequence[APIRouter],
    lifespan_hook: LifespanHook | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
) -> FastAPI:
    """The one way a huimin service app is made. ``migrations`` is e.g. ``huimin_premium:migrations``."""
    service = settings.service_name
    configure_logging(service, settings.log_level, settings.log_json)
    if settings.database_url is None:
        raise RuntimeError(
            f"{service}: no database URL; set {service.upper()}_DATABASE_URL or start with `huimin run`"
        )
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.create_engine(database_url, pool_size=settings.database_pool_size)
        async with httpx.AsyncClient(headers={"User-Agent": f"huimin-{service}"}) as http:
            runtime = Runtime(
                settings=settings, engine=engine, sessions=db.session_factory(engine), http=http
            )
            app.state.runtime = runtime
            try:
                if lifespan_hook is None:
                    yield
                else:
                    async with lifespan_hook(app, runtime):
                        yield
            finally:
                await engine.dispose()

    tags = [openapi.OPERATIONS_TAG, *(openapi_tags or [])]
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=tags,
        responses={},
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=openapi.operation_id,
        separate_input_output_schemas=False,  # one schema per model, request and response alike
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings)
    app.state.metrics = _Metrics(service)
    install_problem_handlers(app)
    # Added first, so it runs inside the request-id middleware and before FastAPI reads any body.
    app.add_middleware(
        RequestGuardMiddleware,
        service_app=app,
        routes=_api_routes([route for router in routers for route in router.routes]),
        open_paths=OPEN_PATHS,
    )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    app.include_router(_ops_router(service, migrations))
    _document_roles(routers)
    for router in routers:
        app.include_router(router)
    openapi.check_routes(app.routes, tags)
    openapi.add_docs_pages(app, settings)
    openapi.install_openapi(app, settings, guarded=_guarded)
    return app
