"""Registering and updating residents; look-ups that respect the token's region (E1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import divisions
from huimin_eligibility.audit.models import ReadEntry
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.audit.service import log_reads
from huimin_eligibility.common import actor, now, roles_of, transaction_time
from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_eligibility.residents.repository import ResidentRepository
from huimin_eligibility.residents.schemas import ResidentCreate, ResidentFields, ResidentOut, ResidentUpdate
from huimin_shared import idnumber
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, Forbidden, NotFound, OutOfRegion

MUTABLE_FIELDS = ("name", "region_code", "community", "household", "employee_insurance_since")


def to_out(resident: Resident, version: ResidentVersion, as_of: datetime) -> ResidentOut:
    return ResidentOut(
        id_number=resident.id_number,
        name=version.name,
        birth_date=resident.birth_date,
        sex=idnumber.Sex(resident.sex),
        region_code=version.region_code,
        community=version.community,
        household=version.household,
        employee_insurance_since=version.employee_insurance_since,
        registered_at=resident.registered_at,
        recorded_at=version.recorded_at,
        as_of=as_of,
    )


async def not_readable(
    session: AsyncSession, id_number: str, principal: Principal, as_of: datetime
) -> Exception:
    """Why a look-up found nothing: another person's record for a resident token or outside the token's
    region (403), or unknown as of then (404)."""
    own = principal.own_id_number
    if own is not None and own != id_number:
        return Forbidden("a resident token reads only the resident's own record")
    region = await ResidentRepository(session).current_region(id_number)
    return why_not_readable(region, id_number, principal, as_of)


def why_not_readable(region: str | None, id_number: str, principal: Principal, as_of: datetime) -> Exception:
    """``region``: where the resident lives now (None: not registered)."""
    if region is not None and not principal.covers(region):
        return OutOfRegion(
            f"this token is limited to region {principal.region}; the resident lives outside it"
        )
    if region is not None:
        return NotFound(f"resident {idnumber.mask(id_number)} was not yet registered at {as_of.isoformat()}")
    return NotFound(f"no resident {idnumber.mask(id_number)} in the register")


async def get_resident(
    session: AsyncSession, id_number: str, principal: Principal, as_of: datetime
) -> ResidentOut:
    found = await ResidentRepository(session).version_at(id_number, as_of, principal)
    if found is None:
        raise await not_readable(session, id_number, principal, as_of)
    await log_reads(session, [id_number], principal, "resident")
    return to_out(*found, as_of)


def refuse_unreal(parsed: idnumber.IdNumber, region_code: str, cities: tuple[str, ...]) -> None:
    """E1 at the door: a birth date after today, an area code of no province, a residence outside the
    deployment's cities (data/divisions.csv) — a 422 naming each field."""
    divisions.refuse(
        {
            "body.id_number": divisions.id_number_problem(
                parsed.area_code, parsed.birth_date, divisions.today_in_china()
            ),
            "body.region_code": divisions.residence_problem(region_code, cities),
        }
    )


async def register(
    session: AsyncSession, body: ResidentCreate, principal: Principal, cities: tuple[str, ...]
) -> ResidentOut:
    parsed = idnumber.parse(body.id_number)
    refuse_unreal(parsed, body.region_code, cities)
    principal.ensure_covers(body.region_code)
    repository = ResidentRepository(session)
    at = await transaction_time(session)
    resident = await repository.add_resident(
        {
            "id_number": parsed.number,
            "birth_date": parsed.birth_date,
            "sex": parsed.sex.value,
            "registered_at": at,
            "registered_by": actor(principal),
        }
    )
    if resident is None:
        raise Conflict(f"resident {parsed.masked} is already registered; update the record instead")
    version = await repository.add_version(_version_values(parsed.number, body, at, principal))
    await AuditRepository(session).record(
        at=at,
        actor=actor(principal),
        roles=roles_of(principal),
        action="resident.registered",
        entity="resident",
        entity_id=parsed.number,
        details={"region_code": body.region_code, "community": body.community},
    )
    return to_out(resident, version, at)


async def update(
    session: AsyncSession, id_number: str, body: ResidentUpdate, principal: Principal, cities: tuple[str, ...]
) -> ResidentOut:
    """A change is a new version; the old one is superseded, never overwritten."""
    divisions.refuse({"body.region_code": divisions.residence_problem(body.region_code, cities)})
    repository = ResidentRepository(session)
    resident = await repository.lock(id_number)
    at = await transaction_time(session)
    current = await repository.version_at(id_number, at, principal) if resident else None
    if resident is None or current is None:
        raise await not_readable(session, id_number, principal, at)
    principal.ensure_covers(body.region_code)
    _, version = current
    changed = {
        field: (getattr(version, field), getattr(body, field))
        for field in MUTABLE_FIELDS
        if getattr(version, field) != getattr(body, field)
    }
    if not changed:
        return to_out(resident, version, at)
    await repository.supersede_current(id_number, at)
    new_version = await repository.add_version(_version_values(id_number, body, at, principal))
    await AuditRepository(session).record(
        at=at,
        actor=actor(principal),
        roles=roles_of(principal),
        action="resident.updated",
        entity="resident",
        entity_id=id_number,
        details={
            "changed": {
                k: [str(old) if old is not None else None, str(new) if new is not None else None]
                for k, (old, new) in changed.items()
                if k != "name"
            },
            "name_changed": "name" in changed,
            "reason": body.reason,
        },
    )
    return to_out(resident, new_version, at)


def _version_values(
    id_number: str, body: ResidentFields, at: datetime, principal: Principal
) -> dict[str, object]:
    return {
        "id_number": id_number,
        "name": body.name,
        "region_code": body.region_code,
        "community": body.community,
        "household": body.household,
        "employee_insurance_since": body.employee_insurance_since,
        "recorded_at": at,
        "superseded_at": None,
        "recorded_by": actor(principal),
    }


async def ensure_readable(session: AsyncSession, id_number: str, principal: Principal) -> None:
    """403 / 404 unless this token may read the resident's record now."""
    at = now()
    if await ResidentRepository(session).version_at(id_number, at, principal) is None:
        raise await not_readable(session, id_number, principal, at)


async def history(session: AsyncSession, id_number: str, principal: Principal) -> list[ResidentVersion]:
    await ensure_readable(session, id_number, principal)
    await log_reads(session, [id_number], principal, "versions")
    return list(await ResidentRepository(session).history(id_number))


async def read_log(
    session: AsyncSession, id_number: str, principal: Principal, *, limit: int
) -> Sequence[ReadEntry]:
    """Who read this resident, newest first: 404 / 403 as for the record itself."""
    await ensure_readable(session, id_number, principal)
    return await AuditRepository(session).reads_of(id_number, limit=limit)
