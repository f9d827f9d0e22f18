"""Every roster statement: the roster and head counts (rules_sql), and the candidates the monthly reports
and the disclosure list judge in Python; ordered by ID number, read through asyncpg cursors inside the
session's transaction."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import rules, rules_sql
from huimin_shared import areas, bulk

# Each person's version and the certifications overlapping the window [$3, $4], as known at $1, from their
# (id_number, recorded_at) indexes; {people} names the residents (alias r) to read.
_PEOPLE_SQL = """
SELECT r.id_number, r.birth_date, r.sex, v.region_code, v.employee_insurance_since,
       c.categories, c.valid_froms, c.valid_tos, v.name, v.community, v.household
FROM {people}
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

# Everyone: drives from the residents' primary key in ID-number order, so the first rows come at once and
# a keyset page (after=…) starts where the last one ended.
CANDIDATES_SQL = _PEOPLE_SQL.format(people="residents AS r")

# A month's candidates (E6): only the people rules_sql.MONTH_MOVERS finds (a certification beginning or
# ending, employee insurance beginning, or a record made in the month), each read by primary key.
MONTHLY_CANDIDATES_SQL = _PEOPLE_SQL.format(
    people=f"({rules_sql.MONTH_MOVERS}) AS moved JOIN residents AS r ON r.id_number = moved.id_number"
)


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


async def roster_lines(
    session: AsyncSession,
    *,
    region: str,
    year: int,
    as_of: datetime,
    after: str = "",
    limit: int | None = None,
    first_eligible_after: date | None = None,
    batch: int = 20_000,
) -> AsyncGenerator[list[str], None]:
    """The roster of cover year ``year`` as JSON texts rendered by PostgreSQL (rules_sql.ROSTER), one per
    eligible person in ID-number order, in lists of up to ``batch``."""
    query = _roster_query(as_of, region, year, after, limit, first_eligible_after)
    async for rows in bulk.fetch_chunks(session, *query, batch=batch):
        yield [row[0] for row in rows]


def _roster_query(
    as_of: datetime,
    region: str,
    year: int,
    after: str,
    limit: int | None,
    first_eligible_after: date | None,
    id_numbers: Sequence[str] | None = None,
) -> tuple[Any, ...]:
    """The roster statement (rules_sql.roster with the filters asked for) and its arguments."""
    arguments: list[Any] = [
        as_of,
        region_pattern(region),
        rules.year_start(year),
        rules.year_end(year),
        after,
    ]
    arguments.append(limit)
    if first_eligible_after is None and id_numbers is None:
        return (rules_sql.ROSTER, *arguments)
    if first_eligible_after is not None:
        arguments.append(first_eligible_after)
    if id_numbers is not None:
        arguments.append(list(id_numbers))
    statement = rules_sql.roster(
        first_eligible_after=first_eligible_after is not None, id_numbers=id_numbers is not None
    )
    return (statement, *arguments)


async def roster_copy(
    session: AsyncSession,
    *,
    region: str,
    year: int,
    as_of: datetime,
    after: str = "",
    first_eligible_after: date | None = None,
    id_numbers: Sequence[str] | None = None,
    chunk: int = 1 << 20,
) -> AsyncGenerator[bytes, None]:
    """The whole roster as NDJSON bytes straight from ``COPY (rules_sql.ROSTER) TO STDOUT``, in chunks of
    about ``chunk`` bytes: one row per line, so COPY's text format is NDJSON as it stands (no value can hold
    a backslash, tab or newline that COPY would escape: digits, dates, identifiers, booleans)."""
    query = _roster_query(as_of, region, year, after, None, first_eligible_after, id_numbers)
    async for data in bulk.copy_query_chunks(session, *query, chunk=chunk):
        yield data


async def head_count_cells(
    session: AsyncSession, *, region: str, on: date, cover_year: int, as_of: datetime
) -> list[tuple[str, str, str, int]]:
    """(region_code, category, age_group, count) of the people certified in a subsidised category and not
    excluded on ``on`` itself, age group on 1 January of ``cover_year`` (rules_sql.HEAD_COUNTS)."""
    rows = await bulk.fetch_all(
        session, rules_sql.HEAD_COUNTS, as_of, region_pattern(region), on, on, "", None, cover_year
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]


def _candidate(row: Any) -> Candidate:
    category = rules.CATEGORY_BY_VALUE
    period = rules.Period
    return Candidate(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        tuple(period(category[c], start, end) for c, start, end in zip(row[5], row[6], row[7], strict=True)),
        row[8],
        row[9],
        row[10],
    )


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
    """People living in ``region`` with a certification overlapping [first, last], as known at ``as_of``
    (the disclosure list judges them with rules.py; the tests use it as the monthly report's reference)."""
    async for rows in bulk.fetch_chunks(
        session, CANDIDATES_SQL, as_of, region_pattern(region), first, last, after, batch=batch
    ):
        for row in rows:
            yield _candidate(row)


async def monthly_candidates(
    session: AsyncSession,
    *,
    region: str,
    year: int,
    month: int,
    as_of: datetime,
    recorded: Iterable[str] = (),
    batch: int = 5_000,
) -> AsyncIterator[Candidate]:
    """The only people who can be on the detail sheet of the month (rules_sql.MONTH_MOVERS, E6): those living
    in ``region`` as known at ``as_of`` with a certification beginning or ending in or just before the month,
    employee insurance beginning in it, or an ID number in ``recorded`` (a record made in the month) — with
    every certification overlapping the day before the month through its last day, as ``candidates`` reads
    them for that window, so rules.monthly_change gives them the same answer."""
    first, last = rules.month_bounds(year, month)
    async for rows in bulk.fetch_chunks(
        session,
        MONTHLY_CANDIDATES_SQL,
        as_of,
        region_pattern(region),
        first - timedelta(days=1),
        last,
        "",
        sorted(recorded),
        batch=batch,
    ):
        for row in rows:
            yield _candidate(row)
