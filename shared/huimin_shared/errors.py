"""One error model for the suite: RFC 9457 problem details (application/problem+json).

Services raise ``ServiceError`` subclasses (defined web-free in ``huimin_shared.problems``);
``install_problem_handlers`` renders them, request validation failures (listing each field and
reason) and anything unexpected, so a client never sees a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from huimin_shared.idnumber import mask_in_text
from huimin_shared.problems import (
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    Conflict,
    DependencyUnavailable,
    FieldProblem,
    Forbidden,
    NotFound,
    OutOfRegion,
    Problem,
    ServiceError,
    TokenExpired,
    Unauthenticated,
    Unprocessable,
    ValidationFailed,
)

__all__ = [
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "BadRequest",
    "Conflict",
    "DependencyUnavailable",
    "FieldProblem",
    "Forbidden",
    "MethodNotAllowed",
    "NotFound",
    "OutOfRegion",
    "PayloadTooLarge",
    "Problem",
    "ServiceError",
    "TokenExpired",
    "Unauthenticated",
    "Unprocessable",
    "ValidationFailed",
    "field_problems",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]


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
