"""Queries for the monthly change report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.residents.models import ResidentVersion
from huimin_eligibility.residents.repository import in_region


async def recorded_between(
    session: AsyncSession, region: str, start: datetime, end: datetime, as_of: datetime
) -> set[str]:
    """ID numbers of residents in ``region`` with a certification record made in [start, end) and by as_of."""
    statement = (
        select(Certification.id_number)
        .distinct()
        .join(ResidentVersion, ResidentVersion.id_number == Certification.id_number)
        .where(
            Certification.recorded_at >= start,
            Certification.recorded_at < min(end, as_of),
            ResidentVersion.superseded_at.is_(None),
            in_region(region),
        )
    )
    return set(await session.scalars(statement))
