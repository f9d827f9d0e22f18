"""HTTP route for a person's own view of who read their money (DRS-8)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from huimin_settlement.deps import ReadLogReaderDep
from huimin_settlement.reads import service
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber
from huimin_shared.readlog import ReadLogOut

router = APIRouter(prefix="/v1/residents", tags=["residents"])


@router.get(
    "/{id_number}/reads",
    response_model=ReadLogOut,
    summary="Who read this person's payments",
    description="查询记录 (settlement): who read the person's batch lines or money trace, when, in which role — a "
    "service acting for a user is logged as that user (`… via service:x`). A `resident` token reads its own "
    "log only (403 otherwise); a region-limited token is refused (403). Newest first.",
    responses=problem_responses(401, 403, 422),
)
async def read_log(
    id_number: ResidentIdNumber,
    session: SessionDep,
    principal: ReadLogReaderDep,
    limit: int = Query(default=100, ge=1, le=1000),
) -> ReadLogOut:
    return await service.read_log(session, principal, id_number, limit)
