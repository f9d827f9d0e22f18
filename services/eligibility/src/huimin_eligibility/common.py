"""Small things every domain of this service uses: the clock, the acting principal, shared field types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import FieldProblem, ValidationFailed


def now() -> datetime:
    """Transaction time is the wall clock in UTC, read once per operation (so a supersede and its
    replacement share one instant)."""
    return datetime.now(UTC)


def actor(principal: Principal) -> str:
    return principal.subject


def roles_of(principal: Principal) -> str:
    return ",".join(sorted(role.value for role in principal.roles))


def _area_code(value: str) -> str:
    if not areas.is_area_code(value):
        raise ValueError("an area code is six digits, e.g. 210502")
    return value


AreaCode = Annotated[
    str,
    AfterValidator(_area_code),
    Field(description="Administrative area code (GB/T 2260), e.g. 210502 平山区.", examples=["210502"]),
]


def _district_code(value: str) -> str:
    _area_code(value)
    if areas.level_of(value) not in (areas.AreaLevel.district, areas.AreaLevel.county):
        raise ValueError(
            "a place of residence is a district or county code (e.g. 210502), not a city or province"
        )
    return value


DistrictCode = Annotated[
    str,
    AfterValidator(_district_code),
    Field(description="District or county of residence (区县代码), e.g. 210502.", examples=["210502"]),
]


def as_of_or_now(as_of: datetime | None) -> datetime:
    if as_of is None:
        return now()
    if as_of.tzinfo is None:
        reason = "as_of needs a time zone, e.g. 2010-03-01T00:00:00+08:00"
        raise ValidationFailed(
            f"query.as_of: {reason}", errors=[FieldProblem(field="query.as_of", reason=reason)]
        )
    return as_of
