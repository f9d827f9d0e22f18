"""Every statement of an import: staging an upload (COPY), applying a chunk of staged rows set-based
(the statements of chunk_sql.py: INSERT … SELECT, UPDATE … FROM), the row-by-row report written by SQL,
the job row."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import events
from huimin_eligibility.imports.chunk_sql import (
    COUNTS,
    CREATE_CHUNK,
    CREATE_CHUNK_CERTS,
    CURRENT_CERTIFICATIONS,
    CURRENT_VERSIONS,
    INSERT_CERTIFICATIONS,
    INSERT_RESIDENTS,
    INSERT_VERSIONS,
    LOCK_RESIDENTS,
    OUTSIDE_REGION,
    REJECTED,
    REPORT,
    ROUND_CHANGE_MATCHES,
    ROUND_MATCH,
    ROUND_NEW,
    SUPERSEDE_CERTIFICATIONS,
    SUPERSEDE_VERSIONS,
    TAKE_CHUNK,
    VERSIONS_AND_OUTCOMES,
)
from huimin_eligibility.imports.models import ImportJob, ImportRow
from huimin_eligibility.imports.validation import STAGED_COLUMNS
from huimin_shared import areas, bulk
from huimin_shared.errors import Conflict

ROW_COLUMNS = ("job_id", "row_number", "outcome", "id_number_masked", "reason")
DEFAULT_AUTHORITY = "civil affairs import"
DEFAULT_EVIDENCE = "-"


class ConcurrentChange(Conflict):
    """A record to supersede was no longer current: someone else changed it (never expected under the lock)."""


@dataclass
class ChunkCounts:
    processed: int = 0
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    rejected_rows: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, other: ChunkCounts) -> None:
        self.processed += other.processed
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.unchanged += other.unchanged
        self.rejected_rows.extend(other.rejected_rows)


def staged_csv(job_id: uuid.UUID, rows: pa.Table) -> IO[bytes]:
    """Validated rows as the staging table's COPY input (CSV written by Arrow; pure CPU, any thread)."""
    table = rows.add_column(0, "job_id", pa.array([str(job_id)] * rows.num_rows, pa.string()))
    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
    buffer.seek(0)
    return buffer


def _masked(id_number: str | None, masked: str | None) -> str | None:
    if id_number is None:
        return masked
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _raw(self) -> Any:
        """The asyncpg connection under the session (same transaction): COPY and plain statements."""
        return await bulk.driver_connection(self.session)

    # --- staging ---------------------------------------------------------------------------------------

    async def stage(self, job_id: uuid.UUID, rows: pa.Table) -> None:
        """COPY validated rows (validation.STAGED_SCHEMA) into the staging table."""
        if rows.num_rows:
            await self.stage_csv(staged_csv(job_id, rows))

    async def stage_csv(self, csv: IO[bytes]) -> None:
        """COPY rows encoded by ``staged_csv`` into the staging table."""
        await bulk.copy_csv(self.session, "import_staged_rows", csv, ["job_id", *STAGED_COLUMNS])

    async def delete_staged(self, job_id: uuid.UUID) -> None:
        raw = await self._raw()
        await raw.execute("DELETE FROM import_staged_rows WHERE job_id = $1", job_id)

    # --- applying a chunk --------------------------------------------------------------------------------

    async def apply_chunk(
        self,
        job_id: uuid.UUID,
        *,
        limit: int,
        recorded_by: str,
        region_limit: str | None,
        report_every_row: bool,
    ) -> ChunkCounts | None:
        """Apply the next ``limit`` staged rows of the job and write their report; None when none are left."""
        raw = await self._raw()
        await raw.execute("DROP TABLE IF EXISTS pg_temp.import_chunk, pg_temp.import_chunk_certs")
        await raw.execute(CREATE_CHUNK)
        await raw.execute(CREATE_CHUNK_CERTS)
        taken = await raw.execute(TAKE_CHUNK, job_id, limit)  # "INSERT 0 <rows>"
        if int(taken.rsplit(" ", 1)[1]) == 0:
            await raw.execute("DROP TABLE import_chunk, import_chunk_certs")
            return None
        await raw.execute(
            "ANALYZE import_chunk (row_number, id_number, category, valid_from, occurrence, outcome)"
        )
        registered_at = await _transaction_time(raw)
        await raw.execute(INSERT_RESIDENTS, registered_at, recorded_by)
        await raw.fetchval(LOCK_RESIDENTS)
        # After the lock (later than any record it supersedes), and as every writer reads it: ROW EXCLUSIVE
        # on the two tables a status answer reads first, so a look-up cannot pin a time past it (0004_status).
        at: datetime = await raw.fetchval("SELECT eligibility_transaction_time()")
        await raw.execute(CURRENT_VERSIONS)
        if region_limit is not None:
            await raw.execute(OUTSIDE_REGION, region_limit, areas.prefix_of(region_limit))
        await raw.execute(CURRENT_CERTIFICATIONS)
        await raw.execute("CREATE INDEX ON import_chunk_certs (id_number, category)")
        await raw.execute("ANALYZE import_chunk_certs")
        rounds = await raw.fetchval("SELECT coalesce(max(occurrence), 0) FROM import_chunk")
        for k in range(1, rounds + 1):
            await raw.execute(ROUND_MATCH, k, DEFAULT_AUTHORITY, DEFAULT_EVIDENCE)
            await raw.execute(ROUND_CHANGE_MATCHES, k)
            await raw.execute(ROUND_NEW, k)
        await raw.execute(VERSIONS_AND_OUTCOMES)
        for statement in (SUPERSEDE_VERSIONS, SUPERSEDE_CERTIFICATIONS):
            expected, done = await raw.fetchrow(statement, at)
            if expected != done:
                raise ConcurrentChange(
                    "the register changed while this import ran; nothing of this chunk was applied — upload again"
                )
        await raw.execute(INSERT_VERSIONS, at, recorded_by)
        await raw.execute(INSERT_CERTIFICATIONS, str(job_id), at, recorded_by)
        await events.certifications_imported(raw, at, str(job_id))
        processed, accepted, rejected, unchanged, _ = await raw.fetchrow(COUNTS)
        await raw.execute(REPORT, job_id, report_every_row)
        counts = ChunkCounts(processed, accepted, rejected, unchanged)
        if not report_every_row and rejected:
            counts.rejected_rows = [
                (job_id, number, "rejected", _masked(id_number, masked), reason)
                for number, masked, id_number, reason in await raw.fetch(REJECTED)
            ]
        await raw.execute("DROP TABLE import_chunk, import_chunk_certs")
        return counts

    # --- the job and its report --------------------------------------------------------------------------

    async def add_job(self, job: ImportJob) -> None:
        self.session.add(job)
        await self.session.flush()

    async def lock_job(self, job_id: uuid.UUID) -> ImportJob | None:
        """The job row, locked: one runner at a time applies a job's next chunk."""
        return await self.session.scalar(
            select(ImportJob)
            .where(ImportJob.id == job_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def record_rows(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await bulk.copy_records(self.session, "import_rows", rows, ROW_COLUMNS)

    async def update_job(self, job_id: uuid.UUID, **values: Any) -> None:
        await self.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))

    async def add_progress(self, job_id: uuid.UUID, counts: ChunkCounts) -> None:
        await self.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                processed_rows=ImportJob.processed_rows + counts.processed,
                accepted=ImportJob.accepted + counts.accepted,
                rejected=ImportJob.rejected + counts.rejected,
                unchanged=ImportJob.unchanged + counts.unchanged,
            )
        )

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


async def _transaction_time(raw: Any) -> datetime:
    """As common.transaction_time: made a writer first (a transaction id), then the clock read."""
    await raw.execute("SELECT txid_current()")
    at: datetime = await raw.fetchval("SELECT clock_timestamp()")
    return at
