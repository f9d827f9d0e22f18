"""Status on date D as known at time T, signed (E3, E5, age group on the reference date)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from huimin_eligibility import rules
from huimin_eligibility.common import as_of_or_now, now
from huimin_eligibility.residents.service import why_not_readable
from huimin_eligibility.status.repository import Found, StatusRepository
from huimin_eligibility.status.schemas import StatusOut
from huimin_eligibility.status.signing import CertificateSigner
from huimin_shared.auth import Principal
from huimin_shared.errors import Forbidden
from huimin_shared.idnumber import Sex


def build_status(found: Found, on: date, as_of: datetime, signer: CertificateSigner) -> StatusOut:
    day = rules.status_on(
        found.periods, found.employee_insurance_since, found.region_code, found.birth_date, on
    )
    claims = {
        "sub": found.id_number,
        "id_number": found.id_number,
        "on": on.isoformat(),
        "as_of": as_of.isoformat(),
        "eligible": day.eligible,
        "categories": [c.value for c in day.categories],
        "categories_on_date": [c.value for c in day.categories_on_date],
        "age_group": day.age_group.value,
        "birth_date": found.birth_date.isoformat(),
        "sex": found.sex,
        "region_code": found.region_code,
        "employee_insurance": day.employee_insurance,
        "excluded_reason": day.excluded_reason.value if day.excluded_reason else None,
        "insutype": rules.INSUTYPE_URBMI,
        "psn_type": rules.psn_type(day.age_group),
    }
    certificate = signer.sign({**claims, "iat": int(now().timestamp())})
    return StatusOut(
        id_number=found.id_number,
        on=on,
        as_of=as_of,
        eligible=day.eligible,
        categories=list(day.categories),
        categories_on_date=list(day.categories_on_date),
        age_group=day.age_group,
        birth_date=found.birth_date,
        sex=Sex(found.sex),
        region_code=found.region_code,
        employee_insurance=day.employee_insurance,
        excluded_reason=day.excluded_reason,
        insutype=rules.INSUTYPE_URBMI,
        psn_type=rules.psn_type(day.age_group),
        certificate=certificate,
    )


async def statuses(
    connection: Any,
    id_numbers: Sequence[str],
    on: date,
    as_of: datetime | None,
    principal: Principal,
    signer: CertificateSigner,
    purpose: str,
) -> tuple[datetime, list[StatusOut], list[str]]:
    """One statement whatever the count: the pinned as_of (``as_of`` or now, clamped to what can no longer
    change), the residents and certifications known then, one read-log row per resident found."""
    wanted = list(dict.fromkeys(id_numbers))
    own = principal.own_id_number
    if own is not None:  # a resident token reads only the resident's own record (DRS-8)
        wanted = [number for number in wanted if number == own]
    pinned, found = await StatusRepository(connection).look_up(
        wanted,
        None if as_of is None else as_of_or_now(as_of),
        principal,
        reader=principal.reader,  # the end user when a peer asks on someone's behalf
        role=principal.reader_roles,
        purpose=purpose,
    )
    items = [build_status(found[number], on, pinned, signer) for number in wanted if number in found]
    return pinned, items, [number for number in wanted if number not in found]


async def status(
    connection: Any,
    id_number: str,
    on: date,
    as_of: datetime | None,
    principal: Principal,
    signer: CertificateSigner,
) -> StatusOut:
    pinned, items, _ = await statuses(connection, [id_number], on, as_of, principal, signer, "status")
    if not items:
        if principal.own_id_number is not None and principal.own_id_number != id_number:
            raise Forbidden("a resident token reads only the resident's own record")
        # unknown, registered after as_of (a date before registration), or outside the token's region
        region = await StatusRepository(connection).current_region(id_number)
        raise why_not_readable(region, id_number, principal, pinned)
    return items[0]
