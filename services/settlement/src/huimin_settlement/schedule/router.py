"""HTTP routes of the statutory schedule."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from huimin_settlement.deps import BatchReaderDep, ReporterDep
from huimin_settlement.ledger.service import today_in_shanghai
from huimin_settlement.schedule import service
from huimin_settlement.schedule.schemas import DeadlineOut, ScheduleOut, SubmissionIn
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/schedule", tags=["schedule"])


@router.get(
    "",
    summary="Every statutory deadline of a city's year with its status (工作时限)",
    description="Monthly change reports on the 10th (E6), 15 January collective dibao payment and first marginal "
    "instalment, 10 July second instalment, year-end refunds and settlement, new entrants by 15 January of the next "
    "year, December enrolment (B§五(三)) and the end-of-March province report (R1); each done, due or overdue, "
    "derived from executed batches, funding runs and filed reports.",
    response_model=ScheduleOut,
    responses=problem_responses(401, 403, 422),
)
async def get_schedule(
    session: SessionDep,
    principal: BatchReaderDep,
    city: Annotated[str, Query(pattern=r"^[1-9]\d{3}00$")],
    year: Annotated[int, Query(ge=2000, le=2100)],
    on: Annotated[date | None, Query(description="Judge statuses on this day; default today.")] = None,
) -> ScheduleOut:
    principal.ensure_covers(city)
    today = on or today_in_shanghai()
    items = await service.schedule(session, city, year, today)
    return ScheduleOut(city=city, year=year, on=today, items=[DeadlineOut.model_validate(i) for i in items])


@router.post(
    "/submissions",
    summary="File a report against the schedule (报送登记)",
    description="Records that a report was filed: monthly change reports by civil affairs (民政), December "
    "enrolment by social insurance (社保局), the province report by finance. Once each.",
    response_model=ScheduleOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
)
async def file_submission(body: SubmissionIn, session: SessionDep, principal: ReporterDep) -> ScheduleOut:
    today = today_in_shanghai()
    items = await service.file(
        session,
        principal,
        city=body.city,
        year=body.year,
        obligation=body.obligation,
        month=body.month,
        submitted_on=body.submitted_on,
        reference=body.reference,
        today=today,
    )
    return ScheduleOut(
        city=body.city, year=body.year, on=today, items=[DeadlineOut.model_validate(i) for i in items]
    )
