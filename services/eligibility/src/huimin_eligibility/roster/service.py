"""Roster for a cover year (E3, E5) and head counts on a date (E7), computed by the rules in rules.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from contextlib import aclosing
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import rules
from huimin_eligibility.roster.repository import Candidate, candidates
from huimin_eligibility.roster.schemas import HeadCount, HeadCounts


def roster_row(candidate: Candidate, year: int) -> dict[str, Any] | None:
    """The roster row of a candidate, or None if the rules leave them out of year ``year``."""
    verdict = rules.eligibility_for_year(
        candidate.periods, candidate.employee_insurance_since, candidate.region_code, year
    )
    if not verdict.eligible or verdict.first_eligible_on is None:
        return None
    return {
        "id_number": candidate.id_number,
        "birth_date": candidate.birth_date.isoformat(),
        "sex": candidate.sex,
        "region_code": candidate.region_code,
        "categories": [
            {
                "category": p.category.value,
                "valid_from": p.start.isoformat(),
                "valid_to": p.end.isoformat() if p.end else None,
            }
            for p in verdict.categories
        ],
        "first_eligible_on": verdict.first_eligible_on.isoformat(),
        "certified_at_year_start": verdict.certified_at_year_start,
    }


async def roster_rows(
    session: AsyncSession, *, year: int, region: str, as_of: datetime, after: str = ""
) -> AsyncIterator[dict[str, Any]]:
    async for candidate in candidates(
        session,
        region=region,
        first=rules.year_start(year),
        last=rules.year_end(year),
        as_of=as_of,
        after=after,
    ):
        row = roster_row(candidate, year)
        if row is not None:
            yield row


async def roster_page(
    session: AsyncSession, *, year: int, region: str, as_of: datetime, after: str, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    items: list[dict[str, Any]] = []
    more = False
    async with aclosing(roster_rows(session, year=year, region=region, as_of=as_of, after=after)) as rows:
        async for row in rows:
            if len(items) == limit:
                more = True
                break
            items.append(row)
    return items, (items[-1]["id_number"] if more and items else None)


def _ndjson_line(candidate: Candidate, verdict: rules.YearEligibility) -> str:
    """The same object as ``roster_row`` (test_roster checks they agree), formatted directly: every value
    is digits, a date, a known identifier or a boolean, so nothing needs escaping."""
    categories = ",".join(
        f'{{"category":"{p.category.value}","valid_from":"{p.start.isoformat()}",'
        f'"valid_to":{f"{chr(34)}{p.end.isoformat()}{chr(34)}" if p.end else "null"}}}'
        for p in verdict.categories
    )
    assert verdict.first_eligible_on is not None
    return (
        f'{{"id_number":"{candidate.id_number}","birth_date":"{candidate.birth_date.isoformat()}",'
        f'"sex":"{candidate.sex}","region_code":"{candidate.region_code}","categories":[{categories}],'
        f'"first_eligible_on":"{verdict.first_eligible_on.isoformat()}",'
        f'"certified_at_year_start":{"true" if verdict.certified_at_year_start else "false"}}}\n'
    )


async def roster_ndjson(
    session: AsyncSession, *, year: int, region: str, as_of: datetime, after: str = ""
) -> AsyncIterator[bytes]:
    """One JSON object per line, rendered as the rows arrive; written in ~64 KiB chunks."""
    buffer: list[str] = []
    size = 0
    async for candidate in candidates(
        session,
        region=region,
        first=rules.year_start(year),
        last=rules.year_end(year),
        as_of=as_of,
        after=after,
    ):
        verdict = rules.eligibility_for_year(
            candidate.periods, candidate.employee_insurance_since, candidate.region_code, year
        )
        if not verdict.eligible:
            continue
        line = _ndjson_line(candidate, verdict)
        buffer.append(line)
        size += len(line)
        if size >= 65_536:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()


async def head_counts(session: AsyncSession, *, region: str, on: date, as_of: datetime) -> HeadCounts:
    """Eligible people on ``on`` by residence, category and age group (E7: B§三 funding base on 2009-10-31).
    A person certified in two categories counts once (rules.primary_category)."""
    counter: Counter[tuple[str, rules.Category, rules.AgeGroup]] = Counter()
    async for candidate in candidates(
        session, region=region, first=rules.year_start(on.year), last=on, as_of=as_of
    ):
        day = rules.status_on(
            candidate.periods,
            candidate.employee_insurance_since,
            candidate.region_code,
            candidate.birth_date,
            on,
        )
        category = rules.primary_category(day.categories)
        if day.eligible and category is not None:
            counter[(candidate.region_code, category, day.age_group)] += 1
    counts = [
        HeadCount(region_code=r, category=c, age_group=a, count=n)
        for (r, c, a), n in sorted(
            counter.items(), key=lambda item: (item[0][0], item[0][1].value, item[0][2].value)
        )
    ]
    return HeadCounts(region=region, on=on, as_of=as_of, counts=counts, total=sum(counter.values()))
