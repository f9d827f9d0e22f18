"""Every query on certifications. Only ``superseded_at`` is ever updated; nothing is deleted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.residents.repository import known_at


class CertificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_ids(self, count: int) -> list[int]:
        rows = await self.session.scalars(
            select(func.nextval("certifications_id_seq")).select_from(func.generate_series(1, count))
        )
        return list(rows)

    async def known_at(self, id_number: str, as_of: datetime) -> Sequence[Certification]:
        statement = (
            select(Certification)
            .where(Certification.id_number == id_number, known_at(Certification, as_of))
            .order_by(Certification.valid_from, Certification.category, Certification.id)
        )
        return (await self.session.scalars(statement)).all()

    async def known_at_many(
        self, id_numbers: Sequence[str], as_of: datetime
    ) -> dict[str, list[Certification]]:
        """The certifications of many residents as known at ``as_of`` (search and household views)."""
        statement = select(Certification).where(
            Certification.id_number.in_(list(id_numbers)), known_at(Certification, as_of)
        )
        found: dict[str, list[Certification]] = {}
        for row in await self.session.scalars(statement):
            found.setdefault(row.id_number, []).append(row)
        return found

    async def all_records(self, id_number: str) -> Sequence[Certification]:
        statement = (
            select(Certification)
            .where(Certification.id_number == id_number)
            .order_by(Certification.lineage, Certification.recorded_at, Certification.id)
        )
        return (await self.session.scalars(statement)).all()

    async def current_of_lineage(self, lineage: int) -> Certification | None:
        return await self.session.scalar(
            select(Certification).where(
                Certification.lineage == lineage, Certification.superseded_at.is_(None)
            )
        )

    async def supersede(self, record_id: int, at: datetime) -> None:
        await self.session.execute(
            update(Certification)
            .where(Certification.id == record_id, Certification.superseded_at.is_(None))
            .values(superseded_at=at)
        )

    async def add(self, values: dict[str, Any]) -> Certification:
        if "id" not in values:
            (new_id,) = await self.next_ids(1)
            values = {**values, "id": new_id, "lineage": values.get("lineage") or new_id}
        record: Certification | None = await self.session.scalar(
            insert(Certification).values(**values).returning(Certification)
        )
        if record is None:
            raise RuntimeError("record is missing")
        return record
