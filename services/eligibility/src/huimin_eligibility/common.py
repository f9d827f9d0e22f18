"""Small things every domain of this service uses: the clock, the acting principal, shared field types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared import areas
from huimin_shared.auth import Principal
from huimin_shared.errors import FieldProblem, ValidationFailed


def now() -> datetime:
    """Transaction time is the wall clock in UTC, read once per operation (so a supersede and its
    replacement share one instant)."""
    return datetime.now(UTC)


async def transaction_time(session: AsyncSession) -> datetime:
    """The instant a write records (recorded_at / superseded_at), from PostgreSQL's clock, in one statement
    (eligibility_transaction_time, migration 0004_status): this transaction first takes ROW EXCLUSIVE on
    resident_versions and certifications (what keeps the status look-up's as_of repeatable without
    pg_stat_activity), then a transaction id (visible in pg_stat_activity, for ``pinned_as_of``), then
    reads the clock. Every writer of a bitemporal table takes its instant here."""
    at: datetime = (await session.execute(text("SELECT eligibility_transaction_time()"))).scalar_one()
    return at


async def pinned_as_of(session: AsyncSession, as_of: datetime | None) -> datetime:
    """The as_of a read uses, repeatable: least(PostgreSQL's clock, just before the oldest in-flight writer
    began) — nothing can still land at or before it — and an explicit later as_of is clamped to it
    (eligibility_pinned_as_of, migration 0004_status). Call it before the read's snapshot is taken (on a
    READ COMMITTED session, not a REPEATABLE READ one that has not yet read): every writer that recorded at
    or before the answer has then committed."""
    requested = None if as_of is None else as_of_or_now(as_of)
    pinned: datetime = (
        await session.execute(text("SELECT eligibility_pinned_as_of(:requested)"), {"requested": requested})
    ).scalar_one()
    return pinned


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


# Dates and instants a request may name: 1900–2100 (the register's world). Outside it date arithmetic
# (1 January − 1 day, 31 December + 1 day, a zone offset) overflows; refused with 422 instead.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def _policy_date(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a date between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31")
    return value


def _instant(value: datetime) -> datetime:
    # the year is checked before anything converts the zone (that is what overflows at 0001 and 9999)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a time between {FIRST_YEAR} and {LAST_YEAR}, ISO 8601 with zone")
    return value


PolicyDate = Annotated[date, AfterValidator(_policy_date)]
Instant = Annotated[datetime, AfterValidator(_instant)]

# Free text that goes into a query: no control characters (PostgreSQL refuses NUL in text: a 500 otherwise).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
# An ID number or its prefix, for keyset paging (``after``).
ID_NUMBER_PREFIX = r"^[0-9]{0,17}[0-9X]?$"


def as_of_or_now(as_of: datetime | None) -> datetime:
    if as_of is None:
        return now()
    if as_of.tzinfo is None:
        reason = "as_of needs a time zone, e.g. 2010-03-01T00:00:00+08:00"
        raise ValidationFailed(
            f"query.as_of: {reason}", errors=[FieldProblem(field="query.as_of", reason=reason)]
        )
    return as_of
