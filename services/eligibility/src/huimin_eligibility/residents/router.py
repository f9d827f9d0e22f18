"""HTTP routes for residents (居民登记)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, status

from huimin_eligibility.common import Instant, as_of_or_now
from huimin_eligibility.deps import Cities, ReadLogReader, Registrar
from huimin_eligibility.residents import service
from huimin_eligibility.residents.schemas import (
    ReadEntryOut,
    ReadLogOut,
    ResidentCreate,
    ResidentOut,
    ResidentUpdate,
    ResidentVersionOut,
)
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber

router = APIRouter(prefix="/v1/residents", tags=["residents"])

IdNumberPath = Path(description="Resident ID number (公民身份号码), 18 characters.")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ResidentOut,
    summary="Register a resident",
    description="居民登记: record a resident by ID number (validated; birth date and sex derived, E1), "
    "with name, district/county of residence, community, household and employee insurance (E3). "
    "A community officer may register residents of its own region only. Refused with 422 naming the field: "
    "a birth date after today or an area code that begins with no province code (`id_number`), and a "
    "residence that is not a district or county of the deployment's cities in the dated division list "
    "(`region_code`, GB/T 2260, `data/divisions.csv`).",
    responses=problem_responses(401, 403, 409, 422),
)
async def register_resident(
    body: ResidentCreate, session: SessionDep, principal: Registrar, cities: Cities
) -> ResidentOut:
    return await service.register(session, body, principal, cities)


@router.get(
    "/{id_number}",
    response_model=ResidentOut,
    summary="Look up a resident",
    description="居民信息查询: the record as known at `as_of` (default now). The read is logged for the resident.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_resident(
    id_number: ResidentIdNumber,
    session: SessionDep,
    principal: Registrar,
    as_of: Instant | None = Query(
        default=None, description="Transaction time (ISO 8601 with zone); default now."
    ),
) -> ResidentOut:
    return await service.get_resident(session, id_number, principal, as_of_or_now(as_of))


@router.put(
    "/{id_number}",
    response_model=ResidentOut,
    summary="Update a resident's record",
    description="居民信息变更: a new version of the record; the old one is kept and superseded. "
    "Setting `employee_insurance_since` makes every day from then on ineligible (E3, B§一(一)): a "
    "certification that begins after it never counts; a person who already had an eligible day in the year "
    "keeps the subsidised cover until that year ends (E5, B§四(三)), but is no longer in head counts "
    "(B§三) from that day. The residence must be a district or county of the deployment's cities (422).",
    responses=problem_responses(401, 403, 404, 422),
)
async def update_resident(
    id_number: ResidentIdNumber,
    body: ResidentUpdate,
    session: SessionDep,
    principal: Registrar,
    cities: Cities,
) -> ResidentOut:
    return await service.update(session, id_number, body, principal, cities)


@router.get(
    "/{id_number}/versions",
    response_model=list[ResidentVersionOut],
    summary="A resident's record history",
    description="居民信息变更历史: every version of the record with when it was recorded and superseded.",
    responses=problem_responses(401, 403, 404, 422),
)
async def resident_versions(
    id_number: ResidentIdNumber, session: SessionDep, principal: Registrar
) -> list[ResidentVersionOut]:
    versions = await service.history(session, id_number, principal)
    return [ResidentVersionOut.model_validate(v, from_attributes=True) for v in versions]


@router.get(
    "/{id_number}/reads",
    response_model=ReadLogOut,
    summary="Who looked this resident up",
    description="查询记录: the read log for one resident — who read the record, status, certifications, "
    "versions, search or household results, when, and in which role (a service acting for a user is logged as "
    "the user, `… via service:premium`) — as the community portal shows it to the person. A `resident` token "
    "reads its own log only (403 for anyone else's). Newest first.",
    responses=problem_responses(401, 403, 404, 422),
)
async def read_log(
    id_number: ResidentIdNumber,
    session: SessionDep,
    principal: ReadLogReader,
    limit: int = Query(default=100, ge=1, le=1000),
) -> ReadLogOut:
    entries = await service.read_log(session, id_number, principal, limit=limit)
    return ReadLogOut(
        id_number=id_number,
        reads=[ReadEntryOut(at=e.at, reader=e.reader, role=e.role, purpose=e.purpose) for e in entries],
    )
