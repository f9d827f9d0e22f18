"""HTTP routes for a person's own view (DRS-8): their assessment lines and who read their figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from huimin_premium.assessments import reads as assessment_reads
from huimin_premium.assessments.schemas import PersonLines
from huimin_premium.deps import READERS
from huimin_premium.reads import service
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.readlog import ReadLogOut

router = APIRouter(prefix="/v1/residents", tags=["residents"])
PersonReader = Annotated[Principal, Depends(require_roles(*READERS, Role.resident))]
ReadLogReader = Annotated[Principal, Depends(require_roles(Role.auditor, Role.civil_affairs, Role.resident))]


@router.get(
    "/{id_number}/assessments",
    response_model=PersonLines,
    summary="A person's assessment lines",
    description="个人资助测算: the person's lines (regular and adjustments) in every version of every "
    "assessment, with the year, kind and version, each with its working (citation, payers). A `resident` token "
    "reads its own only (403 otherwise); a region-limited token sees the lines of its region. The read is "
    "logged.",
    responses=problem_responses(401, 403, 422),
)
async def person_assessments(
    id_number: ResidentIdNumber, session: SessionDep, principal: PersonReader
) -> PersonLines:
    items = await assessment_reads.person_lines(session, principal, id_number)
    return PersonLines(id_number=id_number, items=items)


@router.get(
    "/{id_number}/reads",
    response_model=ReadLogOut,
    summary="Who read this person's figures",
    description="查询记录 (premium): who read the person's quote or assessment lines, when, in which role — a "
    "service acting for a user is logged as that user (`… via service:x`). A `resident` token reads its own "
    "log only (403 otherwise); premium does not know where a person lives, so a region-limited token is "
    "refused (403). Newest first.",
    responses=problem_responses(401, 403, 422),
)
async def read_log(
    id_number: ResidentIdNumber,
    session: SessionDep,
    principal: ReadLogReader,
    limit: int = Query(default=100, ge=1, le=1000),
) -> ReadLogOut:
    return await service.read_log(session, principal, id_number, limit)
