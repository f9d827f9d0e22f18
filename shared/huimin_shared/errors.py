"""One error model for the suite: RFC 9457 problem details (application/problem+json).

Services raise ``ServiceError`` subclasses; ``install_problem_handlers`` renders them, request
validation failures (listing each field and reason) and anything unexpected, so a client never
sees a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from huimin_shared.idnumber import mask_in_text

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://huimin.example.gov.cn/problems/"

log = structlog.get_logger(__name__)


class FieldProblem(BaseModel):
    field: str = Field(description="Where the value was: body.id_number, query.on, header.Idempotency-Key …")
    reason: str = Field(description="Why it was refused, in words a clerk can act on.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem; stable, safe to match on.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong with this request.")
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="The X-Request-ID to quote to support.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="For validation problems: each field."
    )


class ServiceError(Exception):
    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}
        self.extra = extra or {}

    @classmethod
    def type_uri(cls) -> str:
        return PROBLEM_BASE + cls.slug

    def to_problem(self, instance: str | None = None, request_id: str | None = None) -> dict[str, Any]:
        body = Problem(
            type=self.type_uri(),
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            request_id=request_id,
            errors=self.errors,
        ).model_dump(exclude_none=True)
        body.update(self.extra)
        return body


class Unauthenticated(ServiceError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        super().__init__(detail, **kwargs)


class TokenExpired(Unauthenticated):
    slug = "token-expired"
    title = "Token expired"


class Forbidden(ServiceError):
    status = 403
    slug = "forbidden"
    title = "Not allowed for this role"


class OutOfRegion(Forbidden):
    slug = "out-of-region"
    title = "Outside the token's region"


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class Unprocessable(ServiceError):
    status = 422
    slug = "unprocessable"
    title = "Cannot be processed as asked"


class ValidationFailed(Unprocessable):
    slug = "validation-error"
    title = "Request is not valid"


class DependencyUnavailable(ServiceError):
    status = 503
    slug = "dependency-unavailable"
    title = "A service this one depends on is unavailable"

    def __init__(self, service: str, detail: str, **kwargs: Any) -> None:
        extra = dict(kwargs.pop("extra", None) or {})
        extra["service"] = service
        super().__init__(detail, extra=extra, **kwargs)
        self.service = service


def problem_response(
    error: ServiceError, request: Request, headers: dict[str, str] | None = None
) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(
        error.to_problem(instance=mask_in_text(request.url.path), request_id=request_id),
        status_code=error.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**error.headers, **(headers or {})},
    )


def _field_name(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location)


def field_problems(exc: RequestValidationError) -> list[FieldProblem]:
    problems = []
    for err in exc.errors():
        reason = str(err.get("msg", "invalid value"))
        # pydantic prefixes messages raised in our validators with "Value error, "
        reason = reason.removeprefix("Value error, ")
        problems.append(FieldProblem(field=_field_name(err.get("loc", ())), reason=mask_in_text(reason)))
    return problems


_HTTP_STATUS_ERRORS: dict[int, type[ServiceError]] = {
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}


class MethodNotAllowed(ServiceError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class PayloadTooLarge(ServiceError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class BadRequest(ServiceError):
    status = 400
    slug = "bad-request"
    title = "Bad request"


_HTTP_STATUS_ERRORS.update({400: BadRequest, 405: MethodNotAllowed, 413: PayloadTooLarge})


def install_problem_handlers(app: FastAPI) -> None:
    async def on_service_error(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, ServiceError):  # registered for this class only; re-raise anything else
            raise exc
        return problem_response(exc, request)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(
            exc, RequestValidationError
        ):  # registered for this class only; re-raise anything else
            raise exc
        problems = field_problems(exc)
        summary = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        return problem_response(ValidationFailed(summary, errors=problems), request)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(
            exc, StarletteHTTPException
        ):  # registered for this class only; re-raise anything else
            raise exc
        error_class = _HTTP_STATUS_ERRORS.get(exc.status_code)
        if error_class is None:
            error_class = type(
                "HttpError", (ServiceError,), {"status": exc.status_code, "slug": f"http-{exc.status_code}"}
            )
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(error_class(detail), request, headers=dict(exc.headers or {}))

    app.add_exception_handler(ServiceError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problems a route can return."""
    descriptions = {
        400: "Bad request (problem+json).",
        401: "Missing, expired or badly signed token (problem+json).",
        403: "The token's role or region does not admit this request (problem+json).",
        404: "Not found (problem+json).",
        409: "Conflicts with the current state, or an Idempotency-Key reused (problem+json).",
        413: "The request body is larger than this route accepts (problem+json).",
        422: "Invalid input: `errors` lists each field and reason (problem+json).",
        503: "A service this one depends on, or its own database (`service: database`, with `Retry-After`), "
        "is unavailable; try again later (problem+json).",
    }
    # No `model`: FastAPI would add an application/json copy; the Problem schema is added once.
    return {
        status: {
            "description": descriptions[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
