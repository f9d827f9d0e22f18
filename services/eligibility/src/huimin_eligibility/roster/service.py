"""Roster for a cover year (E3, E5) and head counts on a date (E7), computed by PostgreSQL with the
rules in rules_sql.py: Python only joins the rendered lines or shapes the counted cells."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.common import actor, now, pinned_as_of, roles_of
from huimin_eligibility.roster.repository import head_count_cells, roster_copy, roster_lines
from huimin_eligibility.roster.schemas import HeadCount, HeadCounts, RosterPage, RosterRow
from huimin_shared.auth import Principal


async def _pin_and_log(
    write_session: AsyncSession, principal: Principal, year: int, region: str, as_of: datetime | None
) -> datetime:
    """The roster's as_of, pinned on the write session before the read session's snapshot is taken, and
    the read recorded: one audit entry (not a read-log row per person: a million rows per call)."""
    at = await pinned_as_of(write_session, as_of)
    await AuditRepository(write_session).record(
        at=now(),
        actor=actor(principal),
        roles=roles_of(principal),
        action="roster.read",
        entity="roster",
        entity_id=f"{region}:{year}",
        details={"as_of": at.isoformat()},
    )
    return at


async def read_page(
    write_session: AsyncSession,
    session: AsyncSession,
    principal: Principal,
    *,
    year: int,
    region: str,
    as_of: datetime | None,
    after: str,
    limit: int,
    first_eligible_after: date | None,
) -> RosterPage:
    """GET /v1/roster as keyset pages: pin as_of, log the read, read one page."""
    at = await _pin_and_log(write_session, principal, year, region, as_of)
    items, next_after = await roster_page(
        session,
        year=year,
        region=region,
        as_of=at,
        after=after,
        limit=limit,
        first_eligible_after=first_eligible_after,
    )
    return RosterPage(
        year=year,
        region=region,
        as_of=at,
        items=[RosterRow.model_validate(item) for item in items],
        next_after=next_after,
    )


async def read_stream(
    write_session: AsyncSession,
    session: AsyncSession,
    principal: Principal,
    *,
    year: int,
    region: str,
    as_of: datetime | None,
    after: str = "",
    first_eligible_after: date | None = None,
    id_numbers: Sequence[str] | None = None,
) -> tuple[datetime, AsyncIterator[bytes]]:
    """The roster as NDJSON (whole, or the residents named): pin as_of, log the read, and the stream
    with the as_of it was read at."""
    at = await _pin_and_log(write_session, principal, year, region, as_of)
    lines = roster_ndjson(
        session,
        year=year,
        region=region,
        as_of=at,
        after=after,
        first_eligible_after=first_eligible_after,
        id_numbers=id_numbers,
    )
    return at, lines


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
    clock_session: AsyncSession,
    session: AsyncSession,
    *,
    region: str,
    on: date,
    cover_year: int | None = None,
    as_of: datetime | None,
) -> HeadCounts:
    """People certified in a subsidised category and not excluded (E3) on ``on`` itself, by residence,
    category and age group on 1 January of ``cover_year`` (default: the year of ``on``) — E7: the B§三
    funding base is on=2009-10-31, priced in 2010 with cover_year=2010. No E5 year-keeping. A person
    certified in two categories counts once, under the first category by precedence."""
    year = on.year if cover_year is None else cover_year
    at = await pinned_as_of(clock_session, as_of)  # on the clock session, before the read's snapshot
    cells = sorted(await head_count_cells(session, region=region, on=on, cover_year=year, as_of=at))
    counts = [HeadCount(region_code=r, category=c, age_group=a, count=n) for r, c, a, n in cells]
    return HeadCounts(region=region, on=on, as_of=at, counts=counts, total=sum(n for *_, n in cells))
