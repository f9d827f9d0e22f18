"""HTTP routes for search (居民检索), households (家庭) and the duplicate check (疑似重复)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from huimin_eligibility.common import NO_CONTROL_CHARACTERS, AreaCode, PolicyDate
from huimin_eligibility.deps import Registrar, Searcher
from huimin_eligibility.divisions import today_in_china
from huimin_eligibility.search import service
from huimin_eligibility.search.schemas import DuplicatePage, HouseholdOut, ResidentSearchPage
from huimin_policy.enums import Category
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1", tags=["search"])

Text = Annotated[str, Query(min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS)]
OnDate = Query(default=None, description="Policy date for categories and status, YYYY-MM-DD; default today.")


@router.get(
    "/residents",
    response_model=ResidentSearchPage,
    summary="Search residents",
    description="居民检索: current records (as known now) matching every criterion given — `name` (exact), "
    "`name_prefix`, `community`, `household`, `category` (certified on `on`) — at least one of them; "
    "`region` narrows further. A region-limited token finds only residents living in its region. Roles "
    "civil_affairs and community_officer see full ID numbers; auditor sees them masked (R2). Keyset pages "
    "(`after` = the previous page's `next_after`). Each person found is logged in their read log.",
    responses=problem_responses(401, 403, 422),
)
async def search_residents(
    session: SessionDep,
    principal: Searcher,
    name: Text | None = None,
    name_prefix: Text | None = None,
    community: Text | None = None,
    household: Text | None = None,
    category: Category | None = Query(default=None, description="Certified in this category on `on`."),
    region: AreaCode | None = Query(default=None, description="Residence in this area or under it."),
    on: PolicyDate | None = OnDate,
    after: int | None = Query(
        default=None, ge=0, le=2**63 - 1, description="`next_after` of the previous page."
    ),
    limit: int = Query(default=100, ge=1, le=1000),
) -> ResidentSearchPage:
    return await service.search(
        session,
        principal,
        name=name,
        name_prefix=name_prefix,
        community=community,
        household=household,
        category=category,
        region=region,
        on=on or today_in_china(),
        after=after,
        limit=limit,
    )


@router.get(
    "/households/{household}",
    response_model=HouseholdOut,
    summary="A household and each member's status",
    description="家庭成员: the residents whose current record carries this household number (户号), oldest "
    "first, each with their status on `on` (eligible, the categories the cover rests on, age group, why "
    "excluded — as the status look-up answers). `region` narrows to one area when household numbers repeat. "
    "Region-limited tokens see only members living in their region; auditor sees masked numbers. Each "
    "member's read is logged. 404 when no readable member has that number.",
    responses=problem_responses(401, 403, 404, 422),
)
async def household(
    session: SessionDep,
    principal: Searcher,
    household: Annotated[
        str, Path(min_length=1, max_length=100, pattern=NO_CONTROL_CHARACTERS, description="户号")
    ],
    region: AreaCode | None = Query(default=None, description="Residence in this area or under it."),
    on: PolicyDate | None = OnDate,
) -> HouseholdOut:
    return await service.household(session, principal, household, region, on or today_in_china())


@router.get(
    "/duplicates",
    response_model=DuplicatePage,
    summary="Residents who may be registered twice",
    description="疑似重复登记: groups of current records that share a name and birth date under different ID "
    "numbers, or whose numbers agree in the legacy 15-digit form (area code, YYMMDD, sequence) but not the "
    "century. (The same person typed as 15 and as 18 digits is one number: the 15-digit form is converted on "
    "entry, so a second registration is refused with 409.) Region-limited tokens see groups among their "
    "region's residents. Keyset pages by (kind, key). Each person listed is logged in their read log.",
    responses=problem_responses(401, 403, 422),
)
async def duplicates(
    session: SessionDep,
    principal: Registrar,
    region: AreaCode | None = Query(default=None, description="Residence in this area or under it."),
    after: str | None = Query(
        default=None,
        max_length=200,
        pattern=NO_CONTROL_CHARACTERS,
        description="`next_after` of the last page.",
    ),
    limit: int = Query(default=100, ge=1, le=1000),
) -> DuplicatePage:
    return await service.duplicates(session, principal, region=region, after=after, limit=limit)
