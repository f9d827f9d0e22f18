"""The assessment run: stage the roster as eligibility sends it, in committed chunks with a progress row, then
compute every resident's result and build lines and totals in SQL (so totals equal the sum of lines to the fen).

A run is a durable job (``huimin_shared.jobs``, kind ``assessment_run``): any live replica claims it, renews
its lease while it runs and, if its process died, takes it over once the lease lapses and resumes after the
last committed chunk (the roster is read in ID-number order as known at the run's ``as_of``, so the rest of
it is the same). Each chunk's lines, the run's count and the job's checkpoint commit together; the results
(``writer.assess``: the rules once per cell, one join) and the version are made in the transaction that
completes the job: once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium import events, rules
from huimin_premium.assessments import lines, writer
from huimin_premium.assessments.models import Assessment, AssessmentRun, AssessmentVersion
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.packs import service as packs
from huimin_premium.packs.service import NATIONAL
from huimin_premium.peers import EligibilityClient
from huimin_shared.jobs import Job, JobContext, JobKind

log = structlog.get_logger(__name__)

CHUNK = 50_000  # roster lines per COPY and commit (each commit is an fsync)
ASSESSMENT_RUN = "assessment_run"  # the job kind: payload {"run_id": …}


async def _no_lines() -> AsyncIterator[bytes]:
    return
    yield


def paid_hash(id_numbers: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(id_numbers))).encode()).hexdigest()


async def parameters_for(session: AsyncSession, assessment: Assessment) -> rules.YearParameters:
    _row, pack = await packs.get(session, assessment.pack_id, assessment.pack_version)
    _row, national = await packs.get(session, NATIONAL, assessment.national_pack_version)
    return rules.resolve(pack, national, assessment.year)


async def run_job(
    context: JobContext,
    eligibility: EligibilityClient,
    *,
    chunk: int = CHUNK,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run one assessment run to its end (complete or unchanged), resuming after the last committed chunk
    when the job was interrupted; a raise fails the job and, in the same transaction, the run."""
    run_id = int(context.job.payload["run_id"])
    async with context.sessions() as session:
        repository = AssessmentRepository(session)
        run = await session.get(AssessmentRun, run_id)
        if run is None:
            raise LookupError(f"no assessment run {run_id}")
        assessment = await repository.get(run.assessment_id)
        if assessment is None:
            raise LookupError(f"no assessment {run.assessment_id}")
        resumed = context.progress.get("after")
        if resumed is None:
            await writer.clear(session, run_id)  # a first attempt starts clean
            await context.checkpoint(session, {"rows_read": 0})
        after = str(resumed or "")
        kind, year, region, as_of = assessment.kind, assessment.year, assessment.region, run.as_of
        # Refunds read only the people on the paid list (POST /v1/roster/selection), from after ``after``.
        named = sorted(n for n in await repository.paid(run_id) if n > after) if kind == "refunds" else None
        await session.commit()

    rows_read = int(context.progress.get("rows_read", 0))
    if resumed is not None:
        log.info("assessment_run_resumed", run_id=run_id, rows_read=rows_read)
    buffer: list[bytes] = []

    async def flush() -> None:
        nonlocal rows_read, after
        if not buffer:
            return
        rows_read += len(buffer)
        after = str(json.loads(buffer[-1])["id_number"])  # the roster comes in ID-number order
        async with context.sessions() as session:
            # The chunk and where it ended, in one transaction: a resumed job starts right after it.
            await context.checkpoint(session, {"rows_read": rows_read, "after": after})
            await writer.record_progress(session, run_id, rows_read=rows_read, now=now())
            await writer.stage(session, run_id, buffer)
            await session.commit()
        buffer.clear()

    # New entrants are the people not certified at the start of the year (B§四(三)), refunds the people on
    # the paid list (B§四(四)): eligibility sends only them instead of the whole roster (an empty paid list
    # reads nothing); ``cells.selected`` still decides every row. A resumed run reads on after ``after``.
    rows = (
        eligibility.roster_lines(
            year=year,
            region=region,
            as_of=as_of,
            after=after,
            first_eligible_after=date(year, 1, 1) if kind == "new_entrants" else None,
            id_numbers=named,
        )
        if named is None or named
        else _no_lines()
    )
    async for line in rows:
        buffer.append(line)
        if len(buffer) >= chunk:
            await flush()
    await flush()
    await _finish(run_id, context, now, rows_read=rows_read)


async def run_failed(session: AsyncSession, job: Job, error: str) -> None:
    """The job failed: so does its run, with its staged roster and partial results cleared (none counts)."""
    run_id = int(job.payload["run_id"])
    await writer.clear(session, run_id)
    run = await session.get(AssessmentRun, run_id)
    if run is not None and run.status == "running":
        run.status = "failed"
        run.error = error
        run.finished_at = datetime.now(UTC)
    await session.flush()


def assessment_run_kind(eligibility: Callable[[], EligibilityClient], chunk: int = CHUNK) -> JobKind:
    async def run(context: JobContext) -> None:
        await run_job(context, eligibility(), chunk=chunk)

    return JobKind(ASSESSMENT_RUN, run=run, on_failure=run_failed)


async def _finish(
    run_id: int,
    context: JobContext,
    now: Callable[[], datetime],
    *,
    rows_read: int,
) -> None:
    """Compare with the latest version; make a new version (lines + totals in SQL) only if it differs; the
    job is marked done in the same transaction, so a version is made once."""
    async with context.sessions() as session:
        repository = AssessmentRepository(session)
        run = await session.get(AssessmentRun, run_id, with_for_update=True)
        if run is None:
            raise RuntimeError("run is missing")
        assessment = await session.get(Assessment, run.assessment_id, with_for_update=True)
        if assessment is None:
            raise RuntimeError("assessment is missing")
        started = time.perf_counter()
        params = await parameters_for(session, assessment)
        assessed = await writer.assess(
            session,
            run_id,
            kind=assessment.kind,
            region=assessment.region,
            params=params,
            rows_read=rows_read,
        )
        await writer.unstage(session, run_id)
        run.rows_read = rows_read
        run.rows_assessed = assessed
        # Refunds assess exactly the listed people the roster has (B§四(四)); the rest are unmatched.
        run.paid_unmatched = run.paid_listed - assessed if assessment.kind == "refunds" else 0
        count, digest = await lines.results_hash(session, run_id)
        content_hash = hashlib.sha256(digest.encode()).hexdigest()
        run.content_hash = content_hash
        previous = (
            await repository.version(assessment.id, assessment.latest_version)
            if assessment.latest_version
            else None
        )
        if previous is not None and previous.content_hash == content_hash:
            run.status = "unchanged"
            run.version = previous.version
            run.finished_at = now()
            await writer.clear(session, run_id)
            await context.complete(session)
            await session.commit()
            log.info("assessment_unchanged", assessment=str(assessment.id), version=previous.version)
            return
        number = assessment.latest_version + 1
        version = AssessmentVersion(
            assessment_id=assessment.id,
            version=number,
            run_id=run_id,
            as_of=run.as_of,
            previous_version=previous.version if previous else None,
            line_count=0,
            resident_count=count,
            content_hash=content_hash,
        )
        await repository.add(version)
        if previous is None:
            await lines.write_regular_lines(session, version.id, run_id)
        else:
            await lines.write_adjusted_lines(
                session,
                version_id=version.id,
                run_id=run_id,
                previous_version_id=previous.id,
                previous_run_id=previous.run_id,
                previous_version=previous.version,
            )
        written = time.perf_counter()
        version.line_count = await lines.write_totals(session, version.id, run_id)
        assessment.latest_version = number
        run.status = "complete"
        run.version = number
        run.finished_at = now()
        await events.assessed(session, assessment, version)
        await context.complete(session)
        await session.commit()
        log.info(
            "assessment_version",
            assessment=str(assessment.id),
            version=number,
            lines=version.line_count,
            results_and_lines_seconds=round(written - started, 2),
            totals_seconds=round(time.perf_counter() - written, 2),
            finish_seconds=round(time.perf_counter() - started, 2),
        )
