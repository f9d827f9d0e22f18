"""Every statement of an import: staging an upload (COPY), applying a chunk of staged rows set-based
(INSERT … SELECT, UPDATE … FROM), the row-by-row report written by SQL, the job row."""

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


# --- a chunk, set-based ---------------------------------------------------------------------------------
# The chunk's rows leave the staging table in the transaction that applies them (a restart resumes with
# the rest). Each row is one resident and one certification; rows are judged in file order exactly as one
# at a time would be: a row of the same person and category as an earlier row of the chunk sees what that
# row did, so rows are applied in rounds — round k holds each (person, category)'s k-th row of the chunk
# (one round for an ordinary file). A row's certification side (match by valid_from, overlap, exit or
# correction) depends only on earlier rows of its category; its version side (name, region, …) only on
# the previous row of the person that was not rejected, so it is one window over the chunk at the end.

CREATE_CHUNK = """
CREATE TEMP TABLE import_chunk (
    row_number integer PRIMARY KEY,
    id_number varchar(18), birth_date date, sex varchar(6), name varchar(100), region_code varchar(6),
    community varchar(100), household varchar(100), category varchar(32), valid_from date, valid_to date,
    employee_insurance_since date, authority varchar(200), evidence_ref varchar(200),
    id_number_masked varchar(18),
    outcome varchar(16), reason varchar(1000), warning varchar(1000),
    home varchar(6), version_id bigint, occurrence integer,
    match_key bigint, authority_new varchar(200), evidence_new varchar(200),
    cert_changed boolean, only_exit boolean, version_changed boolean
)"""
CREATE_CHUNK_CERTS = """
CREATE TEMP TABLE import_chunk_certs (
    key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    persisted_id bigint, lineage bigint, id_number varchar(18), category varchar(32),
    valid_from date, valid_to date, authority varchar(200), evidence_ref varchar(200),
    change varchar(16), dirty boolean NOT NULL DEFAULT false, row_number integer
)"""
TAKE_CHUNK = f"""
WITH taken AS (
    DELETE FROM import_staged_rows s
    WHERE s.job_id = $1 AND s.row_number IN (
        SELECT row_number FROM import_staged_rows WHERE job_id = $1 ORDER BY row_number LIMIT $2)
    RETURNING s.*
)
INSERT INTO import_chunk ({", ".join(STAGED_COLUMNS)}, outcome, occurrence)
SELECT {", ".join(STAGED_COLUMNS)}, CASE WHEN reason IS NOT NULL THEN 'rejected' END,
       CASE WHEN reason IS NULL
            THEN row_number() OVER (PARTITION BY id_number, category, reason IS NULL ORDER BY row_number) END
FROM taken"""
# New residents in ID-number order, ON CONFLICT DO NOTHING (a concurrent import or registration of the
# same person waits on the key, then skips); then every resident of the chunk that existed before is
# locked in ID-number order — the lock the API takes (ResidentRepository.lock) — so two writers of one
# person are serialised and one category never overlaps itself. A resident this transaction inserted
# needs no lock: no one else sees it before the commit, and a concurrent writer of the same number waits
# on its key until then.
INSERT_RESIDENTS = """
INSERT INTO residents (id_number, birth_date, sex, registered_at, registered_by)
SELECT DISTINCT ON (id_number) id_number, birth_date, sex, $1::timestamptz, $2::varchar
FROM import_chunk WHERE outcome IS NULL ORDER BY id_number
ON CONFLICT (id_number) DO NOTHING"""
LOCK_RESIDENTS = """
SELECT count(*) FROM (
    SELECT 1 FROM residents
    WHERE id_number IN (SELECT id_number FROM import_chunk WHERE outcome IS NULL)
      AND xmin <> pg_current_xact_id()::xid
    ORDER BY id_number FOR UPDATE
) locked"""
CURRENT_VERSIONS = """
UPDATE import_chunk c SET version_id = v.id, home = v.region_code
FROM resident_versions v
WHERE v.id_number = c.id_number AND v.superseded_at IS NULL AND c.outcome IS NULL"""
# A region-limited token changes no one living outside its region (the region as of the chunk's start).
OUTSIDE_REGION = """
UPDATE import_chunk SET outcome = 'rejected',
    reason = 'the resident lives in ' || home || ', outside this token''s region ' || $1::text
WHERE outcome IS NULL AND home IS NOT NULL AND left(home, length($2::text)) <> $2::text"""
CURRENT_CERTIFICATIONS = """
INSERT INTO import_chunk_certs
    (persisted_id, lineage, id_number, category, valid_from, valid_to, authority, evidence_ref, change)
SELECT c.id, c.lineage, c.id_number, c.category, c.valid_from, c.valid_to, c.authority, c.evidence_ref,
       c.change
FROM certifications c
WHERE c.superseded_at IS NULL
  AND c.id_number IN (SELECT id_number FROM import_chunk WHERE outcome IS NULL)
ORDER BY c.id"""
# Round k, 1: the current certification of the row's category with its valid_from (an exit or a
# correction of it), the authority and evidence (a blank cell keeps the register's), whether it changes;
# a row overlapping another certification of its category is rejected instead, naming the first (E2).
ROUND_MATCH = """
UPDATE import_chunk r SET
    match_key = x.key,
    authority_new = coalesce(r.authority, x.authority, $2::varchar),
    evidence_new = coalesce(r.evidence_ref, x.evidence_ref, $3::varchar),
    cert_changed = x.key IS NULL
        OR x.valid_to IS DISTINCT FROM r.valid_to
        OR x.authority <> coalesce(r.authority, x.authority)
        OR x.evidence_ref <> coalesce(r.evidence_ref, x.evidence_ref),
    only_exit = x.valid_to IS NULL AND r.valid_to IS NOT NULL
        AND x.authority = coalesce(r.authority, x.authority)
        AND x.evidence_ref = coalesce(r.evidence_ref, x.evidence_ref),
    outcome = CASE WHEN x.clash_from IS NOT NULL THEN 'rejected' END,
    reason = CASE WHEN x.clash_from IS NOT NULL
        THEN 'overlaps the ' || r.category || ' certification from ' || to_char(x.clash_from, 'YYYY-MM-DD')
             || ' to ' || coalesce(to_char(x.clash_to, 'YYYY-MM-DD'), 'open') END
FROM (
    SELECT r2.row_number, m.key, m.valid_to, m.authority, m.evidence_ref,
           clash.valid_from AS clash_from, clash.valid_to AS clash_to
    FROM import_chunk r2
    LEFT JOIN import_chunk_certs m
        ON m.id_number = r2.id_number AND m.category = r2.category AND m.valid_from = r2.valid_from
    LEFT JOIN LATERAL (
        SELECT c.valid_from, c.valid_to FROM import_chunk_certs c
        WHERE c.id_number = r2.id_number AND c.category = r2.category
          AND c.key IS DISTINCT FROM m.key
          AND c.valid_from <= coalesce(r2.valid_to, 'infinity'::date)
          AND (c.valid_to IS NULL OR c.valid_to >= r2.valid_from)
        ORDER BY c.key LIMIT 1
    ) clash ON true
    WHERE r2.occurrence = $1 AND r2.outcome IS NULL
) x
WHERE r.row_number = x.row_number"""
# 2: a changed match becomes exited (only valid_to set) or corrected; a pending new one stays certified.
ROUND_CHANGE_MATCHES = """
UPDATE import_chunk_certs m SET
    valid_to = r.valid_to, authority = r.authority_new, evidence_ref = r.evidence_new,
    row_number = r.row_number, dirty = true,
    change = CASE WHEN (NOT m.dirty AND m.persisted_id IS NOT NULL) OR m.change <> 'certified'
                  THEN CASE WHEN r.only_exit THEN 'exited' ELSE 'corrected' END
                  ELSE m.change END
FROM import_chunk r
WHERE r.occurrence = $1 AND r.outcome IS NULL AND r.cert_changed AND r.match_key = m.key"""
ROUND_NEW = """
INSERT INTO import_chunk_certs
    (id_number, category, valid_from, valid_to, authority, evidence_ref, change, dirty, row_number)
SELECT id_number, category, valid_from, valid_to, authority_new, evidence_new, 'certified', true, row_number
FROM import_chunk
WHERE occurrence = $1 AND outcome IS NULL AND cert_changed AND match_key IS NULL
ORDER BY row_number"""
# The version side: each row not rejected compared with the state before it — the previous such row of
# the person, or the register's current version.
VERSIONS_AND_OUTCOMES = """
UPDATE import_chunk r SET
    version_changed = x.changed,
    outcome = CASE WHEN x.changed OR r.cert_changed THEN 'accepted' ELSE 'unchanged' END
FROM (
    SELECT c.row_number,
        CASE WHEN lag(c.row_number) OVER w IS NULL
             THEN v.id IS NULL OR (v.name, v.region_code, v.community, v.household,
                                   v.employee_insurance_since)
                  IS DISTINCT FROM (c.name, c.region_code, c.community, c.household,
                                    c.employee_insurance_since)
             ELSE (lag(c.name) OVER w, lag(c.region_code) OVER w, lag(c.community) OVER w,
                   lag(c.household) OVER w, lag(c.employee_insurance_since) OVER w)
                  IS DISTINCT FROM (c.name, c.region_code, c.community, c.household,
                                    c.employee_insurance_since)
        END AS changed
    FROM import_chunk c
    LEFT JOIN resident_versions v ON v.id = c.version_id
    WHERE c.outcome IS NULL
    WINDOW w AS (PARTITION BY c.id_number ORDER BY c.row_number)
) x
WHERE r.row_number = x.row_number"""
SUPERSEDE_VERSIONS = """
WITH stale AS (SELECT DISTINCT version_id FROM import_chunk WHERE version_changed AND version_id IS NOT NULL),
     done AS (
        UPDATE resident_versions v SET superseded_at = $1::timestamptz
        FROM stale WHERE v.id = stale.version_id AND v.superseded_at IS NULL RETURNING 1)
SELECT (SELECT count(*) FROM stale), (SELECT count(*) FROM done)"""
# A person's new version holds the last row not rejected (later unchanged rows hold the same values).
INSERT_VERSIONS = """
INSERT INTO resident_versions
    (id_number, name, region_code, community, household, employee_insurance_since, recorded_at, recorded_by)
SELECT id_number, name, region_code, community, household, employee_insurance_since, $1::timestamptz,
       $2::varchar
FROM (
    SELECT DISTINCT ON (id_number) *, bool_or(version_changed) OVER (PARTITION BY id_number) AS person_changed
    FROM import_chunk
    WHERE outcome IN ('accepted', 'unchanged')
    ORDER BY id_number, row_number DESC
) last_row
WHERE person_changed"""
SUPERSEDE_CERTIFICATIONS = """
WITH stale AS (SELECT persisted_id FROM import_chunk_certs WHERE dirty AND persisted_id IS NOT NULL),
     done AS (
        UPDATE certifications c SET superseded_at = $1::timestamptz
        FROM stale WHERE c.id = stale.persisted_id AND c.superseded_at IS NULL RETURNING 1)
SELECT (SELECT count(*) FROM stale), (SELECT count(*) FROM done)"""
INSERT_CERTIFICATIONS = """
INSERT INTO certifications (id, lineage, id_number, category, valid_from, valid_to, authority,
                            evidence_ref, change, reason, recorded_at, recorded_by)
SELECT id, coalesce(lineage, id), id_number, category, valid_from, valid_to, authority, evidence_ref,
       change, 'import ' || $1::text || ' row ' || row_number, $2::timestamptz, $3::varchar
FROM (SELECT nextval('certifications_id_seq') AS id, k.* FROM import_chunk_certs k WHERE dirty) pending"""
# The report, in file order: a rejected row's ID number masked only if it was valid (R2).
REPORT = """
INSERT INTO import_rows (job_id, row_number, outcome, id_number_masked, reason)
SELECT $1::uuid, row_number, outcome,
       CASE WHEN id_number IS NULL THEN id_number_masked
            ELSE left(id_number, 6) || repeat('*', length(id_number) - 10) || right(id_number, 4) END,
       coalesce(reason, warning)
FROM import_chunk WHERE $2::boolean OR outcome = 'rejected' OR warning IS NOT NULL
ORDER BY row_number"""
COUNTS = """
SELECT count(*), count(*) FILTER (WHERE outcome = 'accepted'), count(*) FILTER (WHERE outcome = 'rejected'),
       count(*) FILTER (WHERE outcome = 'unchanged'), coalesce(max(occurrence), 0)
FROM import_chunk"""
REJECTED = """
SELECT row_number, id_number_masked, id_number, reason FROM import_chunk WHERE outcome = 'rejected'
ORDER BY row_number"""


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
        at: datetime = await raw.fetchval(
            "SELECT clock_timestamp()"
        )  # after the lock: later than any record it supersedes
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
