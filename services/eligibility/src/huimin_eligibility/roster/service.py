"""Roster for a cover year (E3, E5) and head counts on a date (E7), computed by PostgreSQL with the
rules in rules_sql.py: Python only joins the rendered lines or shapes the counted cells."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.roster.repository import head_count_cells, roster_copy, roster_lines
from huimin_eligibility.roster.schemas import HeadCount, HeadCounts


async def roster_page(
    session: AsyncSession,
    *,
    year: int,
    region: str,
    as_of: datetime,
    after: str,
    limit: int,
    first_eligible_after: date | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One keyset page: ``limit`` rows after ``after``, and the ``after`` of the next page if there is one."""
    items: list[dict[str, Any]] = []
    lines = roster_lines(
        session,
        year=year,
        region=region,
        as_of=as_of,
        after=after,
        limit=limit + 1,
        first_eligible_after=first_eligible_after,
    )
    async with aclosing(lines) as batches:
        async for batch in batches:
            items.extend(json.loads(line) for line in batch)
    more = len(items) > limit
    del items[limit:]
    return items, (items[-1]["id_number"] if more else None)


async def roster_ndjson(
    session: AsyncSession,
    *,
    year: int,
    region: str,
    as_of: datetime,
    after: str = "",
    first_eligible_after: date | None = None,
    id_numbers: Sequence[str] | None = None,
) -> AsyncIterator[bytes]:
    """One JSON object per line, as PostgreSQL rendered it, in chunks of about 1 MiB."""
    copied = roster_copy(
        session,
        year=year,
        region=region,
        as_of=as_of,
        after=after,
        first_eligible_after=first_eligible_after,
        id_numbers=id_numbers,
    )
    async with aclosing(copied) as chunks:
        async for chunk in chunks:
            yield chunk


async def head_counts(
    session: AsyncSession, *, region: str, on: date, cover_year: int | None = None, as_of: datetime
) -> HeadCounts:
    """People certified in a subsidised category and not excluded (E3) on ``on`` itself, by residence,
    category and age group on 1 January of ``cover_year`` (default: the year of ``on``) — E7: the B§三
    funding base is on=2009-10-31, priced in 2010 with cover_year=2010. No E5 year-keeping. A person
    certified in two categories counts once, under the first category by precedence."""
    year = on.year if cover_year is None else cover_year
    cells = sorted(await head_count_cells(session, region=region, on=on, cover_year=year, as_of=as_of))
    counts = [HeadCount(region_code=r, category=c, age_group=a, count=n) for r, c, a, n in cells]
    return HeadCounts(region=region, on=on, as_of=as_of, counts=counts, total=sum(n for *_, n in cells))
