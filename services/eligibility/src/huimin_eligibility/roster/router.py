"""HTTP routes for the roster (参保名册) and head counts (人数统计)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from huimin_eligibility.common import ID_NUMBER_PREFIX, AreaCode, Instant, PolicyDate
from huimin_eligibility.deps import CountReader, RosterReader
from huimin_eligibility.roster import service
from huimin_eligibility.roster.schemas import HeadCounts, RosterPage, RosterSelection
from huimin_shared.app import SessionDep
from huimin_shared.bulk import ReadSessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1", tags=["roster"])
NDJSON = "application/x-ndjson"


@router.get(
    "/roster",
    response_model=RosterPage,
    summary="Everyone subsidised in a cover year and region",
    description="参保名册: everyone eligible for cover year `year` living in `region` (and the codes under it), "
    "as known at `as_of` (default: the latest instant no running writer can still land before; a later "
    "`as_of` is clamped to it; the answer carries it — pass it back to get the same rows). "
    "E3 and E5 applied: the roster of year Y holds everyone eligible on any day of Y. "
    "With `Accept: application/x-ndjson` it streams one JSON object per line in ID-number order with no "
    "pagination; otherwise keyset pages (`after`, `limit` ≤ 10,000). The read is recorded in the audit log.",
    responses={
        200: {"content": {NDJSON: {"schema": {"$ref": "#/components/schemas/RosterRow"}}}},
        **problem_responses(401, 403, 422),
    },
)
async def roster(
    write_session: SessionDep,
    session: ReadSessionDep,
    principal: RosterReader,
    region: Annotated[AreaCode, Query(description="Area code: city 210500 or a district/county.")],
    year: int = Query(ge=2007, le=2100, description="Cover year."),
    as_of: Instant | None = Query(
        default=None, description="Transaction time (ISO 8601 with zone); default now."
    ),
    after: str = Query(
        default="",
        max_length=18,
        pattern=ID_NUMBER_PREFIX,
        description="ID number the previous page ended with.",
    ),
    limit: int = Query(default=1000, ge=1, le=10_000),
    first_eligible_after: PolicyDate | None = Query(
        default=None,
        description="Only people whose first eligible day in the year comes after this date: with 1 January "
        "of `year`, the new entrants (B§四(三)) — those not certified at the start of the year.",
    ),
    accept: str | None = Header(default=None),
) -> RosterPage | StreamingResponse:
    principal.ensure_covers(region)
    if accept is not None and NDJSON in accept:
        at, lines = await service.read_stream(
            write_session,
            session,
            principal,
            year=year,
            region=region,
            as_of=as_of,
            after=after,
            first_eligible_after=first_eligible_after,
        )
        return StreamingResponse(lines, media_type=NDJSON, headers={"X-As-Of": at.isoformat()})
    return await service.read_page(
        write_session,
        session,
        principal,
        year=year,
        region=region,
        as_of=as_of,
        after=after,
        limit=limit,
        first_eligible_after=first_eligible_after,
    )


@router.post(
    "/roster/selection",
    summary="The roster rows of the residents named",
    description="参保名册（指定人员）: the rows of `GET /v1/roster` (same rules, same `as_of` pinning) for the ID "
    "numbers in the body only, in ID-number order: with `Accept: application/x-ndjson` one JSON object per "
    "line, otherwise one JSON array (streamed either way; the body names at most 200,000 people) — "
    "premium's refund assessment asks for its paid list (B§四(四)) instead of reading the whole roster. "
    "Numbers not on the roster are left out. The read is recorded in the audit log.",
    responses={
        200: {
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/RosterRow"}}
                },
                NDJSON: {"schema": {"$ref": "#/components/schemas/RosterRow"}},
            }
        },
        **problem_responses(401, 403, 422),
    },
    response_class=StreamingResponse,
)
async def roster_selection(
    body: RosterSelection,
    write_session: SessionDep,
    session: ReadSessionDep,
    principal: RosterReader,
    accept: Annotated[str, Header()] = "application/json",
) -> StreamingResponse:
    principal.ensure_covers(body.region)
    at, lines = await service.read_stream(
        write_session,
        session,
        principal,
        year=body.year,
        region=body.region,
        as_of=body.as_of,
        first_eligible_after=body.first_eligible_after,
        id_numbers=sorted(set(body.id_numbers)),
    )
    if NDJSON in accept:
        return StreamingResponse(lines, media_type=NDJSON, headers={"X-As-Of": at.isoformat()})
    return StreamingResponse(
        _json_array(lines), media_type="application/json", headers={"X-As-Of": at.isoformat()}
    )


async def _json_array(lines: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """NDJSON chunks as one JSON array, still streamed: the newlines between objects become commas."""
    yield b"["
    first, carry = True, b""
    async for chunk in lines:
        *complete, carry = (carry + chunk).split(b"\n")
        joined = b",".join(line for line in complete if line.strip())
        if joined:
            yield joined if first else b"," + joined
            first = False
    if carry.strip():
        yield carry if first else b"," + carry
    yield b"]"


@router.get(
    "/head-counts",
    response_model=HeadCounts,
    summary="How many people are subsidised on a date",
    description="人数统计: the people certified in a subsidised category (E3/E4) and not excluded by employee "
    'insurance (E3) on `on` itself — B§三 counts those "10月底享受城市低保及边缘待遇", so E5\'s year-keeping '
    "does not apply and someone who left in July is not counted on 31 October — as known at `as_of`, by "
    "district/county, category and age group. The age group is the age on 1 January of `cover_year` "
    "(default: the year of `on`), so settlement can price the 2009-10-31 funding base (E7) in its 2010 "
    "age groups with `cover_year=2010`. A person in two categories counts once, under dibao first.",
    responses=problem_responses(401, 403, 422),
)
async def head_counts(
    clock_session: SessionDep,
    session: ReadSessionDep,
    principal: CountReader,
    region: Annotated[AreaCode, Query(description="Area code: city 210500 or a district/county.")],
    on: Annotated[PolicyDate, Query(description="Policy date, YYYY-MM-DD.")],
    cover_year: int | None = Query(
        default=None,
        ge=2007,
        le=2100,
        description="Cover year whose 1 January fixes the age group; default the year of `on`.",
    ),
    as_of: Instant | None = Query(
        default=None, description="Transaction time (ISO 8601 with zone); default now."
    ),
) -> HeadCounts:
    principal.ensure_covers(region)
    return await service.head_counts(
        clock_session, session, region=region, on=on, cover_year=cover_year, as_of=as_of
    )
