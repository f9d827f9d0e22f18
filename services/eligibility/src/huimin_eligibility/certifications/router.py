"""HTTP routes for certifications (资格认定)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from huimin_eligibility.certifications import service
from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.certifications.schemas import (
    CertificationCorrection,
    CertificationCreate,
    CertificationExit,
    CertificationList,
    CertificationOut,
)
from huimin_eligibility.common import Instant, as_of_or_now
from huimin_eligibility.deps import CivilAffairs, Registrar
from huimin_shared.app import SessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.idnumber import ResidentIdNumber

# A bigint key: a larger number names no certification and must not reach PostgreSQL (a 500).
Lineage = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="The certification: the id of its first record.")
]

router = APIRouter(prefix="/v1", tags=["certifications"])


def _out(record: Certification) -> CertificationOut:
    return CertificationOut.model_validate(record, from_attributes=True)


@router.post(
    "/residents/{id_number}/certifications",
    status_code=status.HTTP_201_CREATED,
    response_model=CertificationOut,
    summary="Certify a resident in a category",
    description="资格认定: civil affairs certifies a hardship category with a validity period, the certifying "
    "authority and an evidence reference (E2). A certification of the same category that overlaps one "
    "already known is refused with 409 (never merged, never counted twice); valid_from before the "
    "resident's birth is refused with 422.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def certify(
    id_number: ResidentIdNumber, body: CertificationCreate, session: SessionDep, principal: CivilAffairs
) -> CertificationOut:
    return _out(await service.certify(session, id_number, body, principal))


@router.get(
    "/residents/{id_number}/certifications",
    response_model=CertificationList,
    summary="A resident's certifications",
    description="认定记录: the certifications as known at `as_of` (default now), or with `history=true` every "
    "record ever made, superseded ones included (bitemporal history, E2).",
    responses=problem_responses(401, 403, 404, 422),
)
async def list_certifications(
    id_number: ResidentIdNumber,
    session: SessionDep,
    principal: Registrar,
    as_of: Instant | None = Query(
        default=None, description="Transaction time (ISO 8601 with zone); default now."
    ),
    history: bool = Query(default=False, description="Every record, including superseded ones."),
) -> CertificationList:
    at = as_of_or_now(as_of)
    records = await service.list_for(session, id_number, principal, at, history)
    return CertificationList(
        id_number=id_number, as_of=None if history else at, items=[_out(r) for r in records]
    )


@router.post(
    "/certifications/{lineage}/exit",
    response_model=CertificationOut,
    summary="Exit a certification",
    description="退出: ends a certification on `valid_to` (may be back-dated). The old record is superseded, "
    "not changed; status for past dates changes as known from now on, not as known before. The "
    "person keeps the year's cover (E5, B§四(三)).",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def exit_certification(
    lineage: Lineage, body: CertificationExit, session: SessionDep, principal: CivilAffairs
) -> CertificationOut:
    return _out(await service.exit_certification(session, lineage, body, principal))


@router.post(
    "/certifications/{lineage}/corrections",
    response_model=CertificationOut,
    summary="Correct a certification",
    description="更正: records a corrected version of a certification (category, dates, authority, evidence) "
    "with a reason; the previous record is superseded and kept.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def correct_certification(
    lineage: Lineage, body: CertificationCorrection, session: SessionDep, principal: CivilAffairs
) -> CertificationOut:
    return _out(await service.correct(session, lineage, body, principal))
