"""HTTP routes for applications (资助申请)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from huimin_eligibility.applications import service
from huimin_eligibility.applications.models import Application
from huimin_eligibility.applications.schemas import (
    ApplicationApprove,
    ApplicationCreate,
    ApplicationOut,
    ApplicationPage,
    ApplicationReject,
    ApplicationStatus,
)
from huimin_eligibility.common import AreaCode
from huimin_eligibility.deps import Cities, CivilAffairs, CommunityOfficer, Registrar
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/applications", tags=["applications"])


def _out(application: Application) -> ApplicationOut:
    return ApplicationOut.model_validate(application, from_attributes=True)


@router.post(
    "",
    operation_id="submitApplication",
    status_code=status.HTTP_201_CREATED,
    response_model=ApplicationOut,
    summary="Submit a new applicant",
    description="资助申请: a community officer submits a new applicant with the fields of the subsidy recipient "
    "detail sheet (资助对象明细表, E6, B§四(三)); civil affairs then approves or rejects it. Refused with 422 "
    "naming the field as a registration is (a future birth date or no province's area code in `id_number`, "
    "a `region_code` outside the deployment's cities).",
    responses=problem_responses(401, 403, 422),
)
async def submit(
    body: ApplicationCreate, session: SessionDep, principal: CommunityOfficer, cities: Cities
) -> ApplicationOut:
    return _out(await service.submit(session, body, principal, cities))


@router.get(
    "",
    response_model=ApplicationPage,
    summary="List applications",
    description="申请列表: applications in the token's region, oldest first, optionally by status and region.",
    responses=problem_responses(401, 403, 422),
)
async def list_applications(
    session: SessionDep,
    principal: Registrar,
    status_filter: ApplicationStatus | None = Query(default=None, alias="status"),
    region: AreaCode | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=1000),
) -> ApplicationPage:
    rows = await service.list_readable(
        session, principal, status=status_filter.value if status_filter else None, region=region, limit=limit
    )
    return ApplicationPage(items=[_out(r) for r in rows])


@router.get(
    "/{application_id}",
    response_model=ApplicationOut,
    summary="An application",
    description="申请详情: one application and its decision.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_application(
    application_id: uuid.UUID, session: SessionDep, principal: Registrar
) -> ApplicationOut:
    return _out(await service.get(session, application_id, principal))


@router.post(
    "/{application_id}/approve",
    operation_id="approveApplication",
    response_model=ApplicationOut,
    summary="Approve an application",
    description="审批通过: civil affairs approves — never the user who submitted (403). The approval registers or "
    "updates the resident from the sheet and creates the certification (E2).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def approve(
    application_id: uuid.UUID,
    body: ApplicationApprove,
    session: SessionDep,
    principal: CivilAffairs,
    cities: Cities,
) -> ApplicationOut:
    return _out(await service.approve(session, application_id, body, principal, cities))


@router.post(
    "/{application_id}/reject",
    operation_id="rejectApplication",
    response_model=ApplicationOut,
    summary="Reject an application",
    description="不予认定: civil affairs rejects with a reason — never the user who submitted (403).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def reject(
    application_id: uuid.UUID, body: ApplicationReject, session: SessionDep, principal: CivilAffairs
) -> ApplicationOut:
    return _out(await service.reject(session, application_id, body, principal))
