"""The roster query: one SQL statement, ordered by ID number, read through a server-side cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import rules
from huimin_shared import areas

# Drives from the residents' primary key in ID-number order, so the first rows come at once and a
# keyset page (after=…) starts where the last one ended; each person's version and certifications
# as known at :as_of come from their (id_number, recorded_at) indexes.
CANDIDATES_SQL = """
SELECT r.id_number, r.birth_date, r.sex, v.region_code, v.employee_insurance_since,
       c.categories, c.valid_froms, c.valid_tos, v.name, v.community, v.household
FROM residents AS r
JOIN LATERAL (
    SELECT rv.region_code, rv.employee_insurance_since, rv.name, rv.community, rv.household
    FROM resident_versions AS rv
    WHERE rv.id_number = r.id_number
      AND rv.recorded_at <= $1 AND (rv.superseded_at IS NULL OR rv.superseded_at > $1)
) AS v ON v.region_code LIKE $2
JOIN LATERAL (
    SELECT array_agg(ce.category ORDER BY ce.valid_from, ce.category) AS categories,
           array_agg(ce.valid_from ORDER BY ce.valid_from, ce.category) AS valid_froms,
           array_agg(ce.valid_to ORDER BY ce.valid_from, ce.category) AS valid_tos
    FROM certifications AS ce
    WHERE ce.id_number = r.id_number
      AND ce.recorded_at <= $1 AND (ce.superseded_at IS NULL OR ce.superseded_at > $1)
      AND ce.valid_from <= $4 AND (ce.valid_to IS NULL OR ce.valid_to >= $3)
) AS c ON c.categories IS NOT NULL
WHERE r.id_number > $5
ORDER BY r.id_number
"""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A resident with the certifications (as known at as_of) that overlap the window asked about."""

    id_number: str
    birth_date: date
    sex: str
    region_code: str
    employee_insurance_since: date | None
    periods: tuple[rules.Period, ...]
    name: str
    community: str
    household: str


def region_pattern(region: str) -> str:
    return areas.prefix_of(region) + "%"


async def candidates(
    session: AsyncSession,
    *,
    region: str,
    first: date,
    last: date,
    as_of: datetime,
    after: str = "",
    batch: int = 5_000,
) -> AsyncIterator[Candidate]:
    """People living in ``region`` with a certification overlapping [first, last], as known at ``as_of``."""
    # asyncpg's own cursor inside the session's transaction: rows arrive in batches of ``batch`` without
    # SQLAlchemy's per-row processing (a third of the time for a million rows).
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    if not raw.is_in_transaction():  # SQLAlchemy begins lazily; a cursor needs a transaction
        await session.execute(text("SELECT 1"))
    category = rules.CATEGORY_BY_VALUE
    period = rules.Period
    async for row in raw.cursor(
        CANDIDATES_SQL, as_of, region_pattern(region), first, last, after, prefetch=batch
    ):
        yield Candidate(
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            tuple(
                period(category[c], start, end) for c, start, end in zip(row[5], row[6], row[7], strict=True)
            ),
            row[8],
            row[9],
            row[10],
        )
