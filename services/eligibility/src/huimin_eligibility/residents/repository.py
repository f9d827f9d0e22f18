"""Every query on residents and their versions. ``readable`` is the one place a token's region limits rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, String, and_, cast, false, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.appeals.models import Appeal
from huimin_eligibility.applications.models import Application
from huimin_eligibility.audit.models import AuditEntry
from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.imports.models import ImportJob
from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_shared import areas
from huimin_shared.auth import Principal

S = TypeVar("S", bound="Select[*tuple[Any, ...]]")  # any SELECT, whatever its columns


def known_at(model: Any, as_of: datetime) -> Any:
    """Transaction-time filter: the rows recorded at or before ``as_of`` and not yet superseded then."""
    return and_(model.recorded_at <= as_of, or_(model.superseded_at.is_(None), model.superseded_at > as_of))


def in_region(region: str) -> Any:
    """Residence in ``region`` or any code under it."""
    prefix = areas.prefix_of(region)
    if len(prefix) == 6:
        return ResidentVersion.region_code == region
    return ResidentVersion.region_code.like(prefix + "%")


def readable_prefix(principal: Principal) -> str | None:
    """``in_region`` as a LIKE prefix for SQL written by hand (the status look-up function); None: no limit."""
    return None if principal.region is None else areas.prefix_of(principal.region)


def readable(statement: S, principal: Principal) -> S:
    """The rows this token may read (polar's get_readable_statement): a token with a region claim sees
    residents living in that region only; a resident token (or a service acting for one) sees the person's
    own record only. ``statement`` must select from ResidentVersion."""
    own = principal.own_id_number
    if own is not None:
        statement = statement.where(ResidentVersion.id_number == own)
    if principal.region is None:
        return statement
    return statement.where(in_region(principal.region))


def readable_residents(principal: Principal) -> Any:
    """The ID numbers of the residents this token may read now (current residence in its region)."""
    return readable(
        select(ResidentVersion.id_number).where(ResidentVersion.superseded_at.is_(None)), principal
    )


def job_readable(job_region: str | None, principal: Principal) -> bool:
    """An import job is readable by a token whose region holds the region it was started for (a job of a
    city-wide token, region None, only by a city-wide token)."""
    if principal.region is None:
        return True
    return job_region is not None and areas.contains(principal.region, job_region)


def readable_audit(statement: S, principal: Principal) -> S:
    """The audit entries this token may read: a region-limited token sees the entries about residents it
    may read (residents, their certifications and applications), the import jobs, appeals and rosters of its
    region; nothing else. ``statement`` must select from AuditEntry."""
    if principal.region is None:
        return statement
    residents = readable_residents(principal)
    region = principal.region
    prefix = areas.prefix_of(region)
    certifications = select(cast(Certification.lineage, String)).where(Certification.id_number.in_(residents))
    applications = select(cast(Application.id, String)).where(Application.id_number.in_(residents))
    jobs = select(cast(ImportJob.id, String)).where(
        ImportJob.region.is_not(None), ImportJob.region.like(prefix + "%")
    )
    appeals = select(cast(Appeal.id, String)).where(Appeal.region_code.like(prefix + "%"))
    roster_region = func.split_part(AuditEntry.entity_id, ":", 1)
    return statement.where(
        or_(
            and_(AuditEntry.entity == "resident", AuditEntry.entity_id.in_(residents)),
            and_(AuditEntry.entity == "certification", AuditEntry.entity_id.in_(certifications)),
            and_(AuditEntry.entity == "application", AuditEntry.entity_id.in_(applications)),
            and_(AuditEntry.entity == "import", AuditEntry.entity_id.in_(jobs)),
            and_(AuditEntry.entity == "appeal", AuditEntry.entity_id.in_(appeals)),
            and_(AuditEntry.entity == "roster", roster_region.like(prefix + "%")),
            false(),
        )
    )


class ResidentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self, id_number: str) -> Resident | None:
        """The resident row, locked: changes to one person's record are serialised on it."""
        return await self.session.scalar(
            select(Resident).where(Resident.id_number == id_number).with_for_update()
        )

    async def get(self, id_number: str) -> Resident | None:
        return await self.session.get(Resident, id_number)

    async def version_at(
        self, id_number: str, as_of: datetime, principal: Principal | None = None
    ) -> tuple[Resident, ResidentVersion] | None:
        statement = (
            select(Resident, ResidentVersion)
            .join(ResidentVersion, ResidentVersion.id_number == Resident.id_number)
            .where(Resident.id_number == id_number, known_at(ResidentVersion, as_of))
        )
        if principal is not None:
            statement = readable(statement, principal)
        row = (await self.session.execute(statement)).first()
        return None if row is None else (row[0], row[1])

    async def current_region(self, id_number: str) -> str | None:
        return await self.session.scalar(
            select(ResidentVersion.region_code).where(
                ResidentVersion.id_number == id_number, ResidentVersion.superseded_at.is_(None)
            )
        )

    async def history(self, id_number: str) -> Sequence[ResidentVersion]:
        statement = (
            select(ResidentVersion)
            .where(ResidentVersion.id_number == id_number)
            .order_by(ResidentVersion.recorded_at, ResidentVersion.id)
        )
        return (await self.session.scalars(statement)).all()

    async def add_resident(self, values: dict[str, Any]) -> Resident | None:
        """The new resident, or None if the ID number is already registered — also when a concurrent
        registration of the same person commits first (ON CONFLICT DO NOTHING waits for it, then skips)."""
        return await self.session.scalar(
            pg_insert(Resident)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Resident.id_number])
            .returning(Resident)
        )

    async def supersede_current(self, id_number: str, at: datetime) -> None:
        await self.session.execute(
            update(ResidentVersion)
            .where(ResidentVersion.id_number == id_number, ResidentVersion.superseded_at.is_(None))
            .values(superseded_at=at)
        )

    async def add_version(self, values: dict[str, Any]) -> ResidentVersion:
        version: ResidentVersion | None = await self.session.scalar(
            insert(ResidentVersion).values(**values).returning(ResidentVersion)
        )
        if version is None:
            raise RuntimeError("version is missing")
        return version
