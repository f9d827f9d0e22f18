"""Status on date D as known at time T, signed (E3, E5, age group on the reference date)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import rules
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.certifications.repository import CertificationRepository
from huimin_eligibility.certifications.service import period_of
from huimin_eligibility.common import now
from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_eligibility.residents.repository import ResidentRepository
from huimin_eligibility.residents.service import not_readable
from huimin_eligibility.status.schemas import StatusOut
from huimin_eligibility.status.signing import CertificateSigner
from huimin_shared.auth import Principal
from huimin_shared.idnumber import Sex


def build_status(
    resident: Resident,
    version: ResidentVersion,
    periods: Sequence[rules.Period],
    on: date,
    as_of: datetime,
    signer: CertificateSigner,
) -> StatusOut:
    day = rules.status_on(
        periods, version.employee_insurance_since, version.region_code, resident.birth_date, on
    )
    claims = {
        "sub": resident.id_number,
        "id_number": resident.id_number,
        "on": on.isoformat(),
        "as_of": as_of.isoformat(),
        "eligible": day.eligible,
        "categories": [c.value for c in day.categories],
        "categories_on_date": [c.value for c in day.categories_on_date],
        "age_group": day.age_group.value,
        "birth_date": resident.birth_date.isoformat(),
        "sex": resident.sex,
        "region_code": version.region_code,
        "employee_insurance": day.employee_insurance,
        "excluded_reason": day.excluded_reason.value if day.excluded_reason else None,
        "insutype": rules.INSUTYPE_URBMI,
        "psn_type": rules.psn_type(day.age_group),
    }
    certificate = signer.sign({**claims, "iat": int(now().timestamp())})
    return StatusOut(
        id_number=resident.id_number,
        on=on,
        as_of=as_of,
        eligible=day.eligible,
        categories=list(day.categories),
        categories_on_date=list(day.categories_on_date),
        age_group=day.age_group,
        birth_date=resident.birth_date,
        sex=Sex(resident.sex),
        region_code=version.region_code,
        employee_insurance=day.employee_insurance,
        excluded_reason=day.excluded_reason,
        insutype=rules.INSUTYPE_URBMI,
        psn_type=rules.psn_type(day.age_group),
        certificate=certificate,
    )


async def statuses(
    session: AsyncSession,
    id_numbers: Sequence[str],
    on: date,
    as_of: datetime,
    principal: Principal,
    signer: CertificateSigner,
    purpose: str,
) -> tuple[list[StatusOut], list[str]]:
    """Two queries whatever the count (residents, then certifications) and one multi-row read-log insert."""
    wanted = list(dict.fromkeys(id_numbers))
    found = await ResidentRepository(session).versions_at(wanted, as_of, principal)
    records = await CertificationRepository(session).known_at_many(list(found), as_of)
    items = [
        build_status(*found[number], [period_of(r) for r in records.get(number, [])], on, as_of, signer)
        for number in wanted
        if number in found
    ]
    await AuditRepository(session).record_reads(
        [item.id_number for item in items],
        at=now(),
        reader=principal.reader,
        role=principal.reader_roles,
        purpose=purpose,
    )
    return items, [number for number in wanted if number not in found]


async def status(
    session: AsyncSession,
    id_number: str,
    on: date,
    as_of: datetime,
    principal: Principal,
    signer: CertificateSigner,
) -> StatusOut:
    items, _ = await statuses(session, [id_number], on, as_of, principal, signer, "status")
    if not items:
        # unknown, registered after as_of (a date before registration), or outside the token's region
        raise await not_readable(session, id_number, principal, as_of)
    return items[0]
