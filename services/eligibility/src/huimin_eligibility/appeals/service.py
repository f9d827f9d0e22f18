"""Appeals (复核): a community officer files for a refused applicant or an exited person; a civil-affairs
officer other than the one who decided answers by the deadline. Upholding corrects the certification,
back-dated, through the same paths as any certification or correction (certifications.service), so premium's
next run of the year gives adjustment lines and settlement an adjustment batch as for any back-dated change.
Every step is audited."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import divisions
from huimin_eligibility.appeals.models import Appeal
from huimin_eligibility.appeals.repository import AppealRepository
from huimin_eligibility.appeals.schemas import (
    AppealCreate,
    AppealDismiss,
    AppealKind,
    AppealOut,
    AppealPage,
    AppealStatus,
    AppealUphold,
)
from huimin_eligibility.applications.models import Application
from huimin_eligibility.applications.repository import ApplicationRepository
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.certifications import service as certifications
from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.certifications.repository import CertificationRepository
from huimin_eligibility.certifications.schemas import CertificationCorrection, CertificationCreate
from huimin_eligibility.common import actor, now, roles_of
from huimin_eligibility.residents import service as residents
from huimin_eligibility.residents.repository import ResidentRepository
from huimin_eligibility.residents.schemas import ResidentCreate
from huimin_policy.enums import Category
from huimin_shared import idnumber
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed


def _out(appeal: Appeal, category: str | None) -> AppealOut:
    calendar = divisions.calendar()
    return AppealOut(
        id=appeal.id,
        id_number=appeal.id_number,
        region_code=appeal.region_code,
        kind=AppealKind(appeal.kind),
        application_id=appeal.application_id,
        lineage=appeal.lineage,
        category=Category(category) if category else None,
        decided_by=appeal.decided_by,
        reason=appeal.reason,
        evidence_ref=appeal.evidence_ref,
        filed_by=appeal.filed_by,
        filed_at=appeal.filed_at,
        due_on=appeal.due_on,
        deadline=f"{calendar.appeal_deadline_days} days: {calendar.appeal_source}",
        overdue=appeal.status == AppealStatus.filed.value and divisions.today_in_china() > appeal.due_on,
        status=AppealStatus(appeal.status),
        answered_by=appeal.answered_by,
        answered_at=appeal.answered_at,
        answer=appeal.answer,
        certification_id=appeal.certification_id,
    )


async def _audit(session: AsyncSession, principal: Principal, action: str, appeal: Appeal) -> None:
    await AuditRepository(session).record(
        at=now(),
        actor=actor(principal),
        roles=roles_of(principal),
        action=action,
        entity="appeal",
        entity_id=str(appeal.id),
        details={
            "id_number": idnumber.mask(appeal.id_number),
            "kind": appeal.kind,
            "status": appeal.status,
            "application_id": str(appeal.application_id) if appeal.application_id else None,
            "lineage": appeal.lineage,
            "certification_id": appeal.certification_id,
        },
    )


async def _category_of(session: AsyncSession, appeal: Appeal) -> str | None:
    if appeal.application_id is not None:
        application = await ApplicationRepository(session).get(appeal.application_id)
        return application.category if application else None
    if appeal.lineage is None:  # the CHECK: an appeal names an application or a lineage
        raise RuntimeError(f"appeal {appeal.id} names neither an application nor a certification")
    record = await CertificationRepository(session).current_of_lineage(appeal.lineage)
    return record.category if record else None


async def _subject(
    session: AsyncSession, body: AppealCreate, principal: Principal
) -> tuple[str, str, str, Application | None, Certification | None]:
    """(id_number, region, who decided, the application or the exited record) of the decision appealed."""
    if body.application_id is not None:
        application = await ApplicationRepository(session).get(body.application_id)
        if application is None:
            raise NotFound(f"no application {body.application_id}")
        principal.ensure_covers(application.region_code)
        if application.status != "rejected" or application.decided_by is None:
            raise Conflict(
                f"application {application.id} is {application.status}: only a refusal is appealed"
            )
        return application.id_number, application.region_code, application.decided_by, application, None
    if body.lineage is None:  # the request model requires one of the two
        raise RuntimeError("an appeal names an application or a certification lineage")
    record = await CertificationRepository(session).current_of_lineage(body.lineage)
    if record is None:
        raise NotFound(f"no certification {body.lineage}")
    found = await ResidentRepository(session).version_at(record.id_number, now(), principal)
    if found is None:
        raise await residents.not_readable(session, record.id_number, principal, now())
    if record.change != "exited" or record.valid_to is None:
        raise Conflict(
            f"certification {body.lineage} is not an exit (it is {record.change}): nothing to appeal"
        )
    return record.id_number, found[1].region_code, record.recorded_by, None, record


async def file(session: AsyncSession, body: AppealCreate, principal: Principal) -> AppealOut:
    id_number, region, decided_by, application, record = await _subject(session, body, principal)
    repository = AppealRepository(session)
    if await repository.open_for(body.application_id, body.lineage) is not None:
        raise Conflict("this decision already has an appeal awaiting its answer")
    filed_at = now()
    appeal = Appeal(
        id=uuid.uuid4(),
        id_number=id_number,
        region_code=region,
        kind=AppealKind.refusal.value if application else AppealKind.exit.value,
        application_id=body.application_id,
        lineage=body.lineage,
        decided_by=decided_by,
        reason=body.reason,
        evidence_ref=body.evidence_ref,
        filed_by=actor(principal),
        filed_at=filed_at,
        due_on=divisions.today_in_china() + timedelta(days=divisions.calendar().appeal_deadline_days),
        status=AppealStatus.filed.value,
    )
    await repository.add(appeal)
    await _audit(session, principal, "appeal.filed", appeal)
    return _out(appeal, application.category if application else record.category if record else None)


async def get(session: AsyncSession, appeal_id: uuid.UUID, principal: Principal) -> AppealOut:
    appeal = await AppealRepository(session).get(appeal_id, principal)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id} readable with this token")
    return _out(appeal, await _category_of(session, appeal))


async def list_appeals(
    session: AsyncSession,
    principal: Principal,
    *,
    status: AppealStatus | None,
    overdue: bool,
    after: datetime | None,
    limit: int,
) -> AppealPage:
    found = await AppealRepository(session).list(
        principal,
        status=status.value if status else None,
        overdue_on=divisions.today_in_china() if overdue else None,
        after=after,
        limit=limit,
    )
    items = [_out(a, await _category_of(session, a)) for a in found]
    return AppealPage(items=items, next_after=found[-1].filed_at if len(found) == limit else None)


async def _answerable(session: AsyncSession, appeal_id: uuid.UUID, principal: Principal) -> Appeal:
    appeal = await AppealRepository(session).get(appeal_id, principal, lock=True)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id} readable with this token")
    if appeal.status != AppealStatus.filed.value:
        raise Conflict(f"appeal {appeal_id} is already {appeal.status}")
    if actor(principal) in (appeal.decided_by, appeal.filed_by):
        raise Forbidden(
            "an appeal is answered by an officer other than the one who decided (and who filed) it"
        )
    return appeal


def _answered(appeal: Appeal, principal: Principal, status: AppealStatus, answer: str) -> None:
    appeal.status = status.value
    appeal.answered_by = actor(principal)
    appeal.answered_at = now()
    appeal.answer = answer


async def uphold(
    session: AsyncSession,
    appeal_id: uuid.UUID,
    body: AppealUphold,
    principal: Principal,
    cities: tuple[str, ...],
) -> AppealOut:
    appeal = await _answerable(session, appeal_id, principal)
    reason = f"appeal {appeal.id}: {body.answer}"[:500]
    if appeal.application_id is not None:
        application = await ApplicationRepository(session).get(appeal.application_id, for_update=True)
        if application is None:  # the foreign key keeps it
            raise RuntimeError(f"appeal {appeal.id}: application {appeal.application_id} is gone")
        if await ResidentRepository(session).get(application.id_number) is None:
            await residents.register(
                session,
                ResidentCreate(
                    id_number=application.id_number,
                    name=application.name,
                    region_code=application.region_code,
                    community=application.community,
                    household=application.household,
                    employee_insurance_since=application.employee_insurance_since,
                ),
                principal,
                cities,
            )
        record = await certifications.certify(
            session,
            application.id_number,
            CertificationCreate(
                category=Category(application.category),
                valid_from=body.valid_from or application.requested_from,
                authority=body.authority,
                evidence_ref=body.evidence_ref,
            ),
            principal,
            reason=reason,
        )
        category = application.category
    else:
        if appeal.lineage is None:  # the CHECK: an appeal names an application or a lineage
            raise RuntimeError(f"appeal {appeal.id} names neither an application nor a certification")
        current = await CertificationRepository(session).current_of_lineage(appeal.lineage)
        if current is None:  # a lineage always has its current record
            raise RuntimeError(f"appeal {appeal.id}: lineage {appeal.lineage} has no current record")
        if body.valid_to is not None and body.valid_to < current.valid_from:
            why = "valid_to is before the certification began"
            raise ValidationFailed(
                f"body.valid_to: {why}", errors=[FieldProblem(field="body.valid_to", reason=why)]
            )
        record = await certifications.correct(
            session,
            appeal.lineage,
            CertificationCorrection(
                category=Category(current.category),
                valid_from=current.valid_from,
                valid_to=body.valid_to,
                authority=body.authority,
                evidence_ref=body.evidence_ref,
                reason=reason,
            ),
            principal,
        )
        category = current.category
    _answered(appeal, principal, AppealStatus.upheld, body.answer)
    appeal.certification_id = record.id
    await session.flush()
    await _audit(session, principal, "appeal.upheld", appeal)
    return _out(appeal, category)


async def dismiss(
    session: AsyncSession, appeal_id: uuid.UUID, body: AppealDismiss, principal: Principal
) -> AppealOut:
    appeal = await _answerable(session, appeal_id, principal)
    _answered(appeal, principal, AppealStatus.dismissed, body.answer)
    await session.flush()
    await _audit(session, principal, "appeal.dismissed", appeal)
    return _out(appeal, await _category_of(session, appeal))
