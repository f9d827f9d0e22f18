"""The suite's error kinds, as plain exceptions: what rules and policy raise (issue 12).

No web framework here, so pure code (``rules`` modules, ``huimin_policy``) can raise a
``ServiceError`` without importing FastAPI; ``huimin_shared.errors`` renders them as RFC 9457
problem details and re-exports every name below.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://huimin.example.gov.cn/problems/"


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
