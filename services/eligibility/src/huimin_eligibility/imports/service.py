"""Importing a civil-affairs roster: stage, then apply set-based, with a row-by-row report.

1. **Stage** (at upload, ``stage_file``): the file is read in columnar batches (parsing.py), every row
   validated (validation.py: typed values or the reason it is rejected) and COPYed into
   ``import_staged_rows`` with the job row. From then on the upload is durable: it no longer needs the
   process, the request or the file.
2. **Apply** (``run_import(job_id)``, any process, or ``apply_staged`` inside a request for a small file):
   the staged rows are applied chunk by chunk in SQL (repository.py: new residents, the lock, the
   comparison with the register, the new versions and certifications, the report), each chunk's rows
   leaving the staging table in the transaction that applies them — so calling ``run_import`` again after
   a crash resumes after the last committed chunk, and two callers never apply a chunk twice (the job row
   is locked per chunk).

Each row is one resident and one certification. A row whose category and valid_from match a current
certification updates it (an exit or correction: supersede + new record); a row overlapping another
certification of the same category is rejected, never merged; a row the register already holds is
"unchanged" (so the same file twice changes nothing). ``all_or_nothing`` runs every chunk inside one
savepoint that is rolled back if any row is rejected; the report then lists the rejected rows and the job
ends ``rolled_back``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import IO

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_eligibility import divisions
from huimin_eligibility.audit.repository import AuditRepository
from huimin_eligibility.common import now
from huimin_eligibility.imports.models import ImportJob, ImportRow
from huimin_eligibility.imports.parsing import IrregularFile, UnreadableFile, file_format, read_batches
from huimin_eligibility.imports.repository import ChunkCounts, ImportRepository, staged_csv
from huimin_eligibility.imports.schemas import ImportJobOut
from huimin_eligibility.imports.validation import Door, RawBatch, validate_batch
from huimin_eligibility.residents.repository import job_readable
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared import idnumber, jobs
from huimin_shared.auth import Principal
from huimin_shared.errors import FieldProblem, NotFound, OutOfRegion, ValidationFailed
from huimin_shared.jobs import Job, JobContext, JobKind

log = structlog.get_logger(__name__)


def sha256_of(binary: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := binary.read(1 << 20):
        digest.update(chunk)
    binary.seek(0)
    return digest.hexdigest()


def new_job(
    job_id: uuid.UUID,
    filename: str,
    fmt: str,
    sha256: str,
    mode: str,
    created_by: str,
    at: datetime,
    region: str | None = None,
) -> ImportJob:
    return ImportJob(
        id=job_id,
        filename=filename[:300],
        file_format=fmt,
        sha256=sha256,
        mode=mode,
        status="running",
        total_rows=0,
        processed_rows=0,
        accepted=0,
        rejected=0,
        unchanged=0,
        created_by=created_by,
        created_at=at,
        region=region,
    )


# --- the service's entry points (the router parses, authorises and calls one of these) -------------------


def _unreadable(reason: str) -> ValidationFailed:
    return ValidationFailed(f"file: {reason}", errors=[FieldProblem(field="body.file", reason=reason)])


async def import_roster(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    settings: EligibilitySettings,
    principal: Principal,
    filename: str | None,
    binary: IO[bytes],
    mode: str,
    wake_jobs: Callable[[], Awaitable[None]],
) -> tuple[ImportJobOut, bool]:
    """Import an uploaded roster: (the job, whether it runs in the background).

    A small file is staged and applied in the caller's transaction (``session``, the request's). A large
    one is a durable job: the import row, its validated rows (staged) and the job commit together in a
    transaction of their own before the answer; any replica runs the job, and one that takes it over
    resumes after the last chunk. An unreadable file is a 422 naming ``body.file``; nothing is kept."""
    try:
        fmt = file_format(filename or "")
    except UnreadableFile as exc:
        raise _unreadable(str(exc)) from exc
    sha256 = sha256_of(binary)
    binary.seek(0, 2)
    size = binary.tell()
    binary.seek(0)
    job_id = uuid.uuid4()
    job = new_job(job_id, filename or "roster", fmt, sha256, mode, principal.subject, now(), principal.region)
    door = Door(cities=tuple(settings.cities), today=divisions.today_in_china())
    if size > settings.import_inline_max_bytes:
        try:
            async with sessions() as job_session, job_session.begin():
                await stage_file(job_session, job, binary, door)
                staged = ImportJobOut.model_validate(job, from_attributes=True)
                await jobs.enqueue(
                    job_session,
                    kind=IMPORT,
                    key=str(job_id),
                    payload={"import_id": str(job_id)},
                    region=principal.region,
                )
        except UnreadableFile as exc:
            raise _unreadable(str(exc)) from exc
        await wake_jobs()
        return staged, True
    try:
        await stage_file(session, job, binary, door)
    except UnreadableFile as exc:
        raise _unreadable(str(exc)) from exc
    finished = await apply_staged(session, job_id, chunk_rows=settings.import_chunk_rows, commit_chunks=False)
    if finished is None:
        raise RuntimeError(f"import {job_id} was staged in this transaction but is not running")
    return ImportJobOut.model_validate(finished, from_attributes=True), False


async def readable_job(session: AsyncSession, job_id: uuid.UUID, principal: Principal) -> ImportJobOut:
    """The job if this token may read it: a region-limited token reads the jobs started in its region."""
    job = await ImportRepository(session).get_job(job_id)
    if job is None:
        raise NotFound(f"no import job {job_id}")
    if not job_readable(job.region, principal):
        raise OutOfRegion(f"this token is limited to region {principal.region}; the import job is not of it")
    return ImportJobOut.model_validate(job, from_attributes=True)


async def report_rows(
    session: AsyncSession,
    job_id: uuid.UUID,
    principal: Principal,
    *,
    outcome: str | None,
    after: int,
    limit: int,
) -> Sequence[ImportRow]:
    """A keyset page of the job's row-by-row report, if this token may read the job."""
    await readable_job(session, job_id, principal)
    return await ImportRepository(session).rows(job_id, outcome=outcome, after=after, limit=limit)


# --- 1. stage ---------------------------------------------------------------------------------------------


def _next_staged(
    batches: Iterator[RawBatch], job_id: uuid.UUID, region_limit: str | None, door: Door
) -> tuple[int, IO[bytes]] | None:
    """The next batch read, validated and encoded for COPY (CPU work: Arrow kernels, the row rule for
    unusual rows), or None at the end of the file."""
    batch = next(batches, None)
    if batch is None:
        return None
    rows = validate_batch(batch, region_limit, door)
    return rows.num_rows, staged_csv(job_id, rows)


async def _stage_batches(
    repository: ImportRepository, job: ImportJob, binary: IO[bytes], door: Door, *, careful: bool
) -> int:
    """Read, validate and COPY the file batch by batch, pipelined: the worker thread reads and validates
    batch n + 1 while PostgreSQL stores batch n (the two cores both busy)."""
    binary.seek(0)
    batches = read_batches(binary, job.file_format, careful=careful)
    staged = 0
    copying: asyncio.Future[None] | None = None
    try:
        while (ready := await asyncio.to_thread(_next_staged, batches, job.id, job.region, door)) is not None:
            count, csv = ready
            if copying is not None:
                await copying
            copying = asyncio.ensure_future(repository.stage_csv(csv)) if count else None
            staged += count
        if copying is not None:
            task, copying = copying, None
            await task
    finally:
        if copying is not None:  # reading failed mid-file: the COPY in flight ends before any rollback
            with contextlib.suppress(Exception):
                await copying
    return staged


async def stage_file(session: AsyncSession, job: ImportJob, binary: IO[bytes], door: Door) -> int:
    """Add the job and stage every row of its file (validated, or rejected with the reason); returns the
    rows staged. An unreadable file raises UnreadableFile, having written nothing the caller keeps."""
    repository = ImportRepository(session)
    await repository.add_job(job)
    savepoint = await session.begin_nested()
    try:
        staged = await _stage_batches(repository, job, binary, door, careful=False)
    except IrregularFile as irregular:
        # Something the fast reader might read otherwise than the csv module: read it row by row.
        log.info("import_read_carefully", job_id=str(job.id), why=idnumber.mask_in_text(str(irregular)))
        await savepoint.rollback()
        savepoint = await session.begin_nested()
        staged = await _stage_batches(repository, job, binary, door, careful=True)
    await savepoint.commit()
    job.total_rows = staged
    await session.flush()
    return staged


# --- 2. apply ---------------------------------------------------------------------------------------------


async def apply_staged(
    session: AsyncSession, job_id: uuid.UUID, *, chunk_rows: int, commit_chunks: bool
) -> ImportJob | None:
    """Apply what is left of the job's staged rows, then finish the job (status, counts, audit).

    ``commit_chunks``: partial mode commits after each chunk (progress visible, a restart resumes);
    otherwise the caller's transaction holds everything (a small file inside its request). Returns the
    finished job, or None if the job is not running (finished, failed, or unknown)."""
    repository = ImportRepository(session)
    job = await repository.lock_job(job_id)
    if job is None or job.status != "running":
        return None
    recorded_by, region_limit, every_row = job.created_by, job.region, job.mode == "partial"

    async def next_chunk() -> ChunkCounts | None:
        return await repository.apply_chunk(
            job_id,
            limit=chunk_rows,
            recorded_by=recorded_by,
            region_limit=region_limit,
            report_every_row=every_row,
        )

    totals = ChunkCounts()
    if job.mode == "all_or_nothing":
        savepoint = await session.begin_nested()
        while (chunk := await next_chunk()) is not None:
            totals.add(chunk)
        if totals.rejected:
            await savepoint.rollback()
            await repository.delete_staged(job_id)
            await repository.record_rows(totals.rejected_rows)
        else:
            await savepoint.commit()
        status = "rolled_back" if totals.rejected else "complete"
        values = {
            "processed_rows": totals.processed,
            "accepted": 0 if totals.rejected else totals.accepted,
            "rejected": totals.rejected,
            "unchanged": 0 if totals.rejected else totals.unchanged,
        }
    else:
        while (chunk := await next_chunk()) is not None:
            totals.add(chunk)
            await repository.add_progress(job_id, chunk)
            if commit_chunks:
                await session.commit()
                job = await repository.lock_job(job_id)
                if job is None or job.status != "running":
                    return None
        status = "complete"
        if job is None:  # locked above, never deleted
            raise RuntimeError(f"import {job_id} disappeared while it ran")
        await session.refresh(job)
        totals = ChunkCounts(job.processed_rows, job.accepted, job.rejected, job.unchanged)
        values = {}
    finished_at = now()
    await repository.update_job(
        job_id, status=status, total_rows=totals.processed, finished_at=finished_at, **values
    )
    await AuditRepository(session).record(
        at=finished_at,
        actor=job.created_by,
        roles="civil_affairs",
        action=f"import.{status}",
        entity="import",
        entity_id=str(job_id),
        details={"accepted": totals.accepted, "rejected": totals.rejected, "unchanged": totals.unchanged},
    )
    await session.flush()
    return await repository.get_job(job_id)


async def run_import(
    sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID, *, chunk_rows: int
) -> None:
    """Apply a staged import to the end, resuming after its last committed chunk: what any process calls
    for a job left ``running`` (the upload's background task, or a job runner after a restart).

    A job whose apply fails is marked failed with the reason (ID numbers masked) and its staged rows are
    dropped; cancelled (the service stopping), it stays ``running`` with its remaining rows staged."""
    async with sessions() as session:
        try:
            await apply_staged(session, job_id, chunk_rows=chunk_rows, commit_chunks=True)
            await session.commit()
        except asyncio.CancelledError:
            log.warning("import_interrupted", job_id=str(job_id))
            raise
        except Exception as exc:
            log.exception("import_failed", job_id=str(job_id))
            await session.rollback()
            repository = ImportRepository(session)
            await repository.delete_staged(job_id)
            await repository.update_job(
                job_id, status="failed", error=idnumber.mask_in_text(str(exc))[:1000], finished_at=now()
            )
            await session.commit()


IMPORT = "import"  # the job kind of a large upload: payload {"import_id"}; its rows are staged already


async def run_import_job(context: JobContext, chunk_rows: int) -> None:
    """The durable job of a large upload: apply its staged rows (``run_import`` commits chunk by chunk and
    resumes after the last committed one), then complete the job. A replica that takes the job over after
    its process died calls the same function and carries on where the staged rows left off."""
    job_id = uuid.UUID(context.job.payload["import_id"])
    await run_import(context.sessions, job_id, chunk_rows=chunk_rows)
    async with context.sessions() as session:
        await context.complete(session)
        await session.commit()


async def import_failed(session: AsyncSession, job: Job, error: str) -> None:
    """The job failed for good (interrupted too often): so does the import; chunks already applied stay,
    as the report says, and the rows still staged are dropped."""
    job_id = uuid.UUID(job.payload["import_id"])
    repository = ImportRepository(session)
    await repository.delete_staged(job_id)
    await repository.update_job(
        job_id, status="failed", error=idnumber.mask_in_text(error)[:1000], finished_at=now()
    )


def import_kind(chunk_rows: int) -> JobKind:
    async def run(context: JobContext) -> None:
        await run_import_job(context, chunk_rows)

    return JobKind(IMPORT, run=run, on_failure=import_failed)
