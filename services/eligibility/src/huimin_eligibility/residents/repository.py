"""Every query on residents and their versions. ``readable`` is the one place a token's region limits rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_shared import areas
from huimin_shared.auth import Principal

S = TypeVar("S", bound=Select[Any])


def known_at(model: Any, as_of: datetime) -> Any:
    """Transaction-time filter: the rows recorded at or before ``as_of`` and not yet superseded then."""
    return and_(model.recorded_at <= as_of, or_(model.superseded_at.is_(None), model.superseded_at > as_of))


def in_region(region: str) -> Any:
    """Residence in ``region`` or any code under it."""
    prefix = areas.prefix_of(region)
    if len(prefix) == 6:
        return ResidentVersion.region_code == region
    return ResidentVersion.region_code.like(prefix + "%")


def readable(statement: S, principal: Principal) -> S:
    """The rows this token may read (polar's get_readable_statement): a token with a region claim sees
    residents living in that region only. ``statement`` must select from ResidentVersion."""
    if principal.region is None:
        return statement
    return statement.where(in_region(principal.region))


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

    async def versions_at(
        self, id_numbers: Sequence[str], as_of: datetime, principal: Principal
    ) -> dict[str, tuple[Resident, ResidentVersion]]:
        statement = readable(
            select(Resident, ResidentVersion)
            .join(ResidentVersion, ResidentVersion.id_number == Resident.id_number)
            .where(Resident.id_number.in_(list(id_numbers)), known_at(ResidentVersion, as_of)),
            principal,
        )
        return {row[0].id_number: (row[0], row[1]) for row in await self.session.execute(statement)}

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

    async def add_resident(self, resident: Resident) -> None:
        self.session.add(resident)
        await self.session.flush()

    async def supersede_current(self, id_number: str, at: datetime) -> None:
        await self.session.execute(
            update(ResidentVersion)
            .where(ResidentVersion.id_number == id_number, ResidentVersion.superseded_at.is_(None))
            .values(superseded_at=at)
        )

    async def add_version(self, values: dict[str, Any]) -> ResidentVersion:
        version = await self.session.scalar(
            insert(ResidentVersion).values(**values).returning(ResidentVersion)
        )
        assert version is not None
        return version
