"""HTTP routes for appeals (复核)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from huimin_eligibility.appeals import service
from huimin_eligibility.appeals.schemas import (
    AppealCreate,
    AppealDismiss,
    AppealOut,
    AppealPage,
    AppealStatus,
    AppealUphold,
)
from huimin_eligibility.common import Instant
from huimin_eligibility.deps import Cities, CivilAffairs, CommunityOfficer, Searcher
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/appeals", tags=["appeals"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AppealOut,
    summary="File an appeal against a refusal or an exit",
    description="复核申请: a community officer files, for a refused applicant (`application_id` of a rejected "
    "application) or an exited person (`lineage` of a certification whose current record is an exit), the "
    "reason and the evidence reference. The answer is due within the deadline in `data/policy_calendar.toml` "
    "(neither notice states one; 60 days after 《行政复议法》 第三十一条, an assumption stated there). One open "
    "appeal per decision (409). Audited.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def file_appeal(body: AppealCreate, session: SessionDep, principal: CommunityOfficer) -> AppealOut:
    return await service.file(session, body, principal)


@router.get(
    "",
    response_model=AppealPage,
    summary="List appeals, or only the overdue ones",
    description="复核列表: appeals of the token's region, oldest filed first, by `status`; `overdue=true` lists "
    "those still unanswered after their due day — the appeal deadlines the schedule shows as overdue (settlement's "
    "statutory schedule lives in another service; this list is eligibility's own). Keyset pages by filing time.",
    responses=problem_responses(401, 403, 422),
)
async def list_appeals(
    session: SessionDep,
    principal: Searcher,
    status_filter: AppealStatus | None = Query(default=None, alias="status"),
    overdue: bool = Query(default=False, description="Only appeals unanswered after their due day."),
    after: Instant | None = Query(default=None, description="`next_after` of the previous page."),
    limit: int = Query(default=100, ge=1, le=1000),
) -> AppealPage:
    return await service.list_appeals(
        session, principal, status=status_filter, overdue=overdue, after=after, limit=limit
    )


@router.get(
    "/{appeal_id}",
    response_model=AppealOut,
    summary="An appeal and its answer",
    description="复核详情: the appeal, its due day, whether it is overdue, and the answer.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_appeal(appeal_id: uuid.UUID, session: SessionDep, principal: Searcher) -> AppealOut:
    return await service.get(session, appeal_id, principal)


@router.post(
    "/{appeal_id}/uphold",
    response_model=AppealOut,
    summary="Uphold an appeal: correct the certification, back-dated",
    description="复核成立: a civil-affairs officer other than the one who decided (and who filed) upholds it "
    "(403 otherwise). A refusal is certified from `valid_from` (default the date applied for; the applicant is "
    "registered from the application if need be); an exit is corrected to end on `valid_to` (null: the person "
    "never left). Both go through the ordinary certification and correction paths, so the change is "
    "back-dated and premium's next run gives adjustment lines, settlement an adjustment batch. Audited.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def uphold_appeal(
    appeal_id: uuid.UUID, body: AppealUphold, session: SessionDep, principal: CivilAffairs, cities: Cities
) -> AppealOut:
    return await service.uphold(session, appeal_id, body, principal, cities)


@router.post(
    "/{appeal_id}/dismiss",
    response_model=AppealOut,
    summary="Dismiss an appeal: the decision stands",
    description="复核维持: a civil-affairs officer other than the one who decided dismisses it with the answer "
    "(403 otherwise). Audited.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def dismiss_appeal(
    appeal_id: uuid.UUID, body: AppealDismiss, session: SessionDep, principal: CivilAffairs
) -> AppealOut:
    return await service.dismiss(session, appeal_id, body, principal)
