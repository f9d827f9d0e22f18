"""The assessment run: stream the roster through the pure calculator, COPY results in committed chunks
with a progress row, then build lines and totals in SQL (so totals equal the sum of lines to the fen).

A run is a durable job (``huimin_shared.jobs``, kind ``assessment_run``): any live replica claims it, renews
its lease while it runs and, if its process died, takes it over once the lease lapses and resumes after the
last committed chunk (the roster is read in ID-number order as known at the run's ``as_of``, so the rest of
it is the same). Each chunk's results, the run's counts and the job's checkpoint commit together, and the
version is made in the transaction that completes the job: once.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import Category
from huimin_premium import events, rules
from huimin_premium.assessments.models import Assessment, AssessmentRun, AssessmentVersion
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.packs.service import NATIONAL, PackService
from huimin_premium.peers import EligibilityClient, RosterRow
from huimin_shared import areas
from huimin_shared.idnumber import mask
from huimin_shared.jobs import Job, JobContext, JobKind

log = structlog.get_logger(__name__)

CHUNK = 20_000  # rows per COPY and commit (each commit is an fsync; 5,000 cost 4x as many)


class RosterOutOfRegion(RuntimeError):
    """Eligibility sent a roster row outside the assessment's region: the run must not pay for it."""


class Calculator:
    """The pure calculator with a cache: the outcome depends only on categories, age group and area code."""

    def __init__(self, params: rules.YearParameters) -> None:
        self.params = params
        self._cache: dict[tuple[frozenset[Category], str, str], tuple[Any, ...]] = {}

    def result(self, row: RosterRow) -> tuple[Any, ...]:
        """(categories, category, age_group, amounts…, citation) for one roster row."""
        certifications = [(c.category, c.valid_from, c.valid_to) for c in row.categories]
        # The categories in force on the day cover starts: 1 January, or the day a new entrant joined.
        held = rules.categories_on(certifications, row.first_eligible_on)
        if not held:
            held = frozenset(
                Category(c.category) for c in row.categories if c.category in Category.__members__
            )
        group = rules.age_group(row.birth_date, self.params.year)
        key = (held, group.value, row.region_code)
        cached = self._cache.get(key)
        if cached is None:
            outcome = rules.calculate(row.birth_date, row.region_code, held, self.params)
            central, province, city, district = rules.payer_amounts(outcome)
            cached = (
                sorted(c.value for c in held),
                outcome.category.value if outcome.category else None,
                group.value,
                outcome.individual_contribution.value,
                outcome.assistance_subsidy.value,
                outcome.resident_pays.value,
                central,
                province,
                city,
                district,
                outcome.citation,
            )
            self._cache[key] = cached
        return cached


async def _no_rows() -> AsyncIterator[RosterRow]:
    return
    yield


def selected(kind: str, row: RosterRow, paid: set[str]) -> bool:
    """Which roster rows an assessment kind covers (B§四(一)–(四))."""
    if kind == "refunds":
        return row.id_number in paid
    if row.id_number in paid:
        return False  # refunded instead (B§四(四)); never paid for twice (S4)
    if kind == "annual":
        return row.certified_at_year_start
    return not row.certified_at_year_start


def paid_hash(id_numbers: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(id_numbers))).encode()).hexdigest()


async def parameters_for(session: AsyncSession, assessment: Assessment) -> rules.YearParameters:
    packs = PackService(session)
    _row, pack = await packs.get(assessment.pack_id, assessment.pack_version)
    _row, national = await packs.get(NATIONAL, assessment.national_pack_version)
    return rules.resolve(pack, national, assessment.year)


ASSESSMENT_RUN = "assessment_run"  # the job kind: payload {"run_id": …}


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
        params = await parameters_for(session, assessment)
        paid = await repository.paid(run_id)
        resumed = context.progress.get("after")
        if resumed is None:
            await repository.clear_results(run_id)  # a first attempt starts clean
            await context.checkpoint(session, {"rows_read": 0, "rows_assessed": 0, "paid_seen": 0})
        await session.commit()
        kind, year, region, as_of = assessment.kind, assessment.year, assessment.region, run.as_of

    calculator = Calculator(params)
    buffer: list[tuple[Any, ...]] = []
    rows_read = int(context.progress.get("rows_read", 0))
    rows_assessed = int(context.progress.get("rows_assessed", 0))
    seen_paid = int(context.progress.get("paid_seen", 0))
    after = str(resumed or "")
    if resumed is not None:
        log.info("assessment_run_resumed", run_id=run_id, rows_read=rows_read)

    async def flush() -> None:
        async with context.sessions() as session:
            repository = AssessmentRepository(session)
            # The chunk and where it ended, in one transaction: a resumed job starts right after it.
            await context.checkpoint(
                session,
                {
                    "rows_read": rows_read,
                    "rows_assessed": rows_assessed,
                    "paid_seen": seen_paid,
                    "after": after,
                },
            )
            await repository.record_progress(
                run_id, rows_read=rows_read, rows_assessed=rows_assessed, now=now()
            )
            if buffer:
                await repository.copy_results(buffer)
            await session.commit()
        buffer.clear()

    # New entrants are the people not certified at the start of the year (B§四(三)), refunds the people on
    # the paid list (B§四(四)): eligibility sends only them instead of the whole roster (an empty paid list
    # reads nothing); ``selected`` still decides every row. A resumed run reads on after ``after``.
    first_eligible_after = date(year, 1, 1) if kind == "new_entrants" else None
    named = sorted(number for number in paid if number > after) if kind == "refunds" else None
    rows = (
        eligibility.roster(
            year=year,
            region=region,
            as_of=as_of,
            after=after,
            first_eligible_after=first_eligible_after,
            id_numbers=named,
        )
        if named is None or named
        else _no_rows()
    )
    async for row in rows:
        rows_read += 1
        after = row.id_number
        if not areas.contains(region, row.region_code):
            raise RosterOutOfRegion(
                f"eligibility's roster for {region} sent a resident of {row.region_code} "
                f"({mask(row.id_number)}), outside the assessment's region: the run is failed and none "
                "of it counts"
            )
        if not selected(kind, row, paid):
            continue
        if kind == "refunds":
            seen_paid += 1
        rows_assessed += 1
        buffer.append((run_id, row.id_number, row.birth_date, row.region_code, *calculator.result(row)))
        if len(buffer) >= chunk:
            await flush()
    await flush()
    await _finish(run_id, context, now, paid_unmatched=len(paid) - seen_paid if kind == "refunds" else 0)


async def run_failed(session: AsyncSession, job: Job, error: str) -> None:
    """The job failed: so does its run, with its partial results cleared (none of it counts)."""
    run_id = int(job.payload["run_id"])
    await AssessmentRepository(session).clear_results(run_id)
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
    paid_unmatched: int,
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
        count, digest = await repository.results_hash(run_id)
        content_hash = hashlib.sha256(digest.encode()).hexdigest()
        run.paid_unmatched = paid_unmatched
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
            await repository.clear_results(run_id)
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
            await repository.write_regular_lines(version.id, run_id)
        else:
            await repository.write_adjusted_lines(
                version_id=version.id,
                run_id=run_id,
                previous_version_id=previous.id,
                previous_run_id=previous.run_id,
                previous_version=previous.version,
            )
        version.line_count = await repository.write_totals(version.id, run_id)
        assessment.latest_version = number
        run.status = "complete"
        run.version = number
        run.finished_at = now()
        await events.assessed(session, assessment, version)
        await context.complete(session)
        await session.commit()
        log.info(
            "assessment_version", assessment=str(assessment.id), version=number, lines=version.line_count
        )
