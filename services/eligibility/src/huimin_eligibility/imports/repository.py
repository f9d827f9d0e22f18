"""Bulk reads and writes for imports: ``= ANY`` look-ups per chunk and asyncpg COPY for inserts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import IO, Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility.certifications.models import Certification
from huimin_eligibility.imports.models import ImportJob, ImportRow, ImportUploadPart
from huimin_eligibility.residents.models import Resident, ResidentVersion
from huimin_shared.errors import Conflict

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

# New residents go in with ON CONFLICT DO NOTHING (a concurrent import or registration of the same person
# waits on the key, then skips), in ID-number order; then every resident of the chunk is locked in
# ID-number order — the lock the API takes (ResidentRepository.lock) — so two writers of one person are
# serialised and one category never overlaps itself.
INSERT_RESIDENTS = text(
    """
INSERT INTO residents (id_number, birth_date, sex, registered_at, registered_by)
SELECT * FROM unnest(CAST(:ids AS varchar[]), CAST(:births AS date[]), CAST(:sexes AS varchar[]),
                     CAST(:ats AS timestamptz[]), CAST(:bys AS varchar[]))
ORDER BY 1
ON CONFLICT (id_number) DO NOTHING
"""
)
LOCK_RESIDENTS = text(
    "SELECT id_number FROM residents WHERE id_number = ANY(CAST(:ids AS varchar[])) ORDER BY id_number FOR UPDATE"
)


class ConcurrentChange(Conflict):
    """A record to supersede was no longer current: someone else changed it (never expected under the lock)."""


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _copy(self, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]) -> None:
        if not records:
            return
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(table, records=records, columns=list(columns))

    async def insert_and_lock(self, residents: list[tuple[Any, ...]]) -> None:
        """Insert the residents not yet registered and lock every one of ``residents`` (RESIDENT_COLUMNS)."""
        if not residents:
            return
        ordered = sorted(residents, key=lambda r: r[0])
        columns = list(zip(*ordered, strict=True))
        await self.session.execute(
            INSERT_RESIDENTS,
            {
                "ids": list(columns[0]),
                "births": list(columns[1]),
                "sexes": list(columns[2]),
                "ats": list(columns[3]),
                "bys": list(columns[4]),
            },
        )
        await self.session.execute(LOCK_RESIDENTS, {"ids": list(columns[0])})

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
        superseded_versions: list[int],
        versions: list[tuple[Any, ...]],
        superseded_certifications: list[int],
        certifications: list[tuple[Any, ...]],
    ) -> None:
        if superseded_versions:
            await self._supersede(ResidentVersion, superseded_versions, at)
        await self._copy("resident_versions", VERSION_COLUMNS, versions)
        if superseded_certifications:
            await self._supersede(Certification, superseded_certifications, at)
        await self._copy("certifications", CERTIFICATION_COLUMNS, certifications)

    async def _supersede(self, model: Any, ids: list[int], at: datetime) -> None:
        """Supersede records that must still be current; fewer rows updated means someone else got there."""
        result = await self.session.execute(
            update(model)
            .where(model.id.in_(ids), model.superseded_at.is_(None))
            .values(superseded_at=at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != len(set(ids)):  # type: ignore[attr-defined]
            raise ConcurrentChange(
                "the register changed while this import ran; nothing of this chunk was applied — upload again"
            )

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

    async def store_upload(self, job_id: uuid.UUID, binary: IO[bytes], part_bytes: int = 8 << 20) -> None:
        """Keep the upload in the database, a part at a time (never the whole file in memory)."""
        part = 0
        while data := binary.read(part_bytes):
            await self.session.execute(insert(ImportUploadPart).values(job_id=job_id, part=part, data=data))
            part += 1

    async def upload_parts(self, job_id: uuid.UUID) -> AsyncIterator[bytes]:
        part = -1
        while True:
            row = await self.session.execute(
                select(ImportUploadPart.part, ImportUploadPart.data)
                .where(ImportUploadPart.job_id == job_id, ImportUploadPart.part > part)
                .order_by(ImportUploadPart.part)
                .limit(1)
            )
            found = row.first()
            if found is None:
                return
            part = found.part
            yield found.data

    async def drop_upload(self, job_id: uuid.UUID) -> None:
        await self.session.execute(delete(ImportUploadPart).where(ImportUploadPart.job_id == job_id))
