"""Bulk reads and writes for imports: ``= ANY`` look-ups per chunk and asyncpg COPY for inserts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.imports.models import ImportJob, ImportRow
from huimin_eligibility.residents.models import Resident, ResidentVersion

RESIDENT_COLUMNS = ("id_number", "birth_date", "sex", "registered_at", "registered_by")
VERSION_COLUMNS = (
    "id_number",
    "name",
    "region_code",
    "community",
    "household",
    "employee_insurance_since",
    "recorded_at",
    "recorded_by",
)
CERTIFICATION_COLUMNS = (
    "id",
    "lineage",
    "id_number",
    "category",
    "valid_from",
    "valid_to",
    "authority",
    "evidence_ref",
    "change",
    "reason",
    "recorded_at",
    "recorded_by",
)
ROW_COLUMNS = ("job_id", "row_number", "outcome", "id_number_masked", "reason")


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _copy(self, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]) -> None:
        if not records:
            return
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table, records=records, columns=list(columns))

    async def current_state(
        self, id_numbers: Sequence[str]
    ) -> tuple[set[str], dict[str, ResidentVersion], dict[str, list[Certification]]]:
        numbers = list(id_numbers)
        known = set(
            await self.session.scalars(select(Resident.id_number).where(Resident.id_number.in_(numbers)))
        )
        versions = {
            v.id_number: v
            for v in await self.session.scalars(
                select(ResidentVersion).where(
                    ResidentVersion.id_number.in_(numbers), ResidentVersion.superseded_at.is_(None)
                )
            )
        }
        certifications: dict[str, list[Certification]] = {}
        for record in await self.session.scalars(
            select(Certification).where(
                Certification.id_number.in_(numbers), Certification.superseded_at.is_(None)
            )
        ):
            certifications.setdefault(record.id_number, []).append(record)
        return known, versions, certifications

    async def next_certification_ids(self, count: int) -> list[int]:
        if count == 0:
            return []
        return list(
            await self.session.scalars(
                select(func.nextval("certifications_id_seq")).select_from(func.generate_series(1, count))
            )
        )

    async def apply(
        self,
        *,
        at: datetime,
        residents: list[tuple[Any, ...]],
        superseded_versions: list[int],
        versions: list[tuple[Any, ...]],
        superseded_certifications: list[int],
        certifications: list[tuple[Any, ...]],
    ) -> None:
        await self._copy("residents", RESIDENT_COLUMNS, residents)
        if superseded_versions:
            await self.session.execute(
                update(ResidentVersion)
                .where(ResidentVersion.id.in_(superseded_versions))
                .values(superseded_at=at)
            )
        await self._copy("resident_versions", VERSION_COLUMNS, versions)
        if superseded_certifications:
            await self.session.execute(
                update(Certification)
                .where(Certification.id.in_(superseded_certifications))
                .values(superseded_at=at)
            )
        await self._copy("certifications", CERTIFICATION_COLUMNS, certifications)

    async def add_job(self, job: ImportJob) -> None:
        self.session.add(job)
        await self.session.flush()

    async def record_rows(self, rows: list[tuple[Any, ...]]) -> None:
        await self._copy("import_rows", ROW_COLUMNS, rows)

    async def update_job(self, job_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    async def get_job(self, job_id: uuid.UUID) -> ImportJob | None:
        return await self.session.scalar(
            select(ImportJob).where(ImportJob.id == job_id).execution_options(populate_existing=True)
        )

    async def rows(
        self, job_id: uuid.UUID, *, outcome: str | None, after: int, limit: int
    ) -> Sequence[ImportRow]:
        statement = (
            select(ImportRow)
            .where(ImportRow.job_id == job_id, ImportRow.row_number > after)
            .order_by(ImportRow.row_number)
            .limit(limit)
        )
        if outcome is not None:
            statement = statement.where(ImportRow.outcome == outcome)
        return (await self.session.scalars(statement)).all()
