"""Applications (E6): a community officer submits, civil affairs decides — never the same user."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.applications.models import Application
from huimin_eligibility.applications.repository import ApplicationRepository
from huimin_eligibility.applications.schemas import (
    ApplicationApprove,
    ApplicationCreate,
    ApplicationReject,
    ApplicationStatus,
)
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.certifications import service as certifications
from huimin_eligibility.certifications.schemas import CertificationCreate
from huimin_eligibility.common import actor, now, roles_of
from huimin_eligibility.residents import service as residents
from huimin_eligibility.residents.repository import ResidentRepository
from huimin_eligibility.residents.schemas import ResidentCreate, ResidentUpdate
from huimin_shared import idnumber
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed


async def submit(
    session: AsyncSession, body: ApplicationCreate, principal: Principal, cities: tuple[str, ...]
) -> Application:
    parsed = idnumber.parse(body.id_number)
    residents.refuse_unreal(parsed, body.region_code, cities)
    principal.ensure_covers(body.region_code)
    born = parsed.birth_date
    if body.requested_from < born:
        reason = "requested_from is before the applicant was born"
        raise ValidationFailed(
            f"body.requested_from: {reason}",
            errors=[FieldProblem(field="body.requested_from", reason=reason)],
        )
    at = now()
    application = Application(
        id=uuid.uuid4(),
        **body.model_dump(),
        status=ApplicationStatus.submitted.value,
        submitted_by=actor(principal),
        submitted_at=at,
    )
    application.category = body.category.value
    await ApplicationRepository(session).add(application)
    await _audit(session, principal, "application.submitted", application)
    return application


async def _audit(session: AsyncSession, principal: Principal, action: str, application: Application) -> None:
    await AuditRepository(session).record(
        at=now(),
        actor=actor(principal),
        roles=roles_of(principal),
        action=action,
        entity="application",
        entity_id=str(application.id),
        details={"id_number": idnumber.mask(application.id_number), "status": application.status},
    )


async def get(
    session: AsyncSession, application_id: uuid.UUID, principal: Principal, *, lock: bool = False
) -> Application:
    application = await ApplicationRepository(session).get(application_id, for_update=lock)
    if application is None:
        raise NotFound(f"no application {application_id}")
    principal.ensure_covers(application.region_code)
    return application


async def list_readable(
    session: AsyncSession, principal: Principal, *, status: str | None, region: str | None, limit: int
) -> Sequence[Application]:
    """The applications the token's region may see, oldest first."""
    return await ApplicationRepository(session).list(principal, status=status, region=region, limit=limit)


async def _decidable(session: AsyncSession, application_id: uuid.UUID, principal: Principal) -> Application:
    application = await get(session, application_id, principal, lock=True)
    if application.status != ApplicationStatus.submitted.value:
        raise Conflict(f"application {application_id} is already {application.status}")
    if application.submitted_by == actor(principal):
        raise Forbidden("the user who submitted an application may not decide it (four eyes)")
    return application


async def approve(
    session: AsyncSession,
    application_id: uuid.UUID,
    body: ApplicationApprove,
    principal: Principal,
    cities: tuple[str, ...],
) -> Application:
    """Approval registers (or updates) the resident from the sheet and creates the certification."""
    application = await _decidable(session, application_id, principal)
    evidence_ref = certified_evidence(body.evidence_ref, application.evidence_ref)
    fields = {
        "name": application.name,
        "region_code": application.region_code,
        "community": application.community,
        "household": application.household,
        "employee_insurance_since": application.employee_insurance_since,
    }
    if await ResidentRepository(session).get(application.id_number) is None:
        await residents.register(
            session, ResidentCreate(id_number=application.id_number, **fields), principal, cities
        )
    else:
        await residents.update(
            session,
            application.id_number,
            ResidentUpdate(**fields, reason=f"application {application.id}"),
            principal,
            cities,
        )
    record = await certifications.certify(
        session,
        application.id_number,
        CertificationCreate(
            category=application.category,
            valid_from=body.valid_from or application.requested_from,
            authority=body.authority,
            evidence_ref=evidence_ref,
        ),
        principal,
        reason=f"application {application.id}",
    )
    application.status = ApplicationStatus.approved.value
    application.decided_by = actor(principal)
    application.decided_at = now()
    application.certification_id = record.id
    await session.flush()
    await _audit(session, principal, "application.approved", application)
    return application


def certified_evidence(reviewer: str | None, application: str | None) -> str:
    """The certification's 证明文号: the reviewer's when recorded, otherwise the evidence the application
    was submitted with (E2: every certification names its evidence)."""
    if reviewer:
        return reviewer
    if application:
        return application
    reason = "this application carries no evidence reference: record the 证明文号 to approve it"
    raise ValidationFailed(
        f"body.evidence_ref: {reason}", errors=[FieldProblem(field="body.evidence_ref", reason=reason)]
    )


async def reject(
    session: AsyncSession, application_id: uuid.UUID, body: ApplicationReject, principal: Principal
) -> Application:
    application = await _decidable(session, application_id, principal)
    application.status = ApplicationStatus.rejected.value
    application.decided_by = actor(principal)
    application.decided_at = now()
    application.rejection_reason = body.reason
    await session.flush()
    await _audit(session, principal, "application.rejected", application)
    return application
