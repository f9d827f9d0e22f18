"""The assessment run: stream the roster through the pure calculator, COPY results in committed chunks
with a progress row, then build lines and totals in SQL (so totals equal the sum of lines to the fen).

A running run holds a lease (``lease_until``) that its process renews while it runs. A run whose lease
has lapsed was interrupted (its process stopped): the next process to start claims it with one UPDATE
(so two processes starting together never both take it) and re-runs it from the start, its partial
results cleared first, so a re-run gives the same results.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from huimin_premium import rules
from huimin_premium.assessments.models import Assessment, AssessmentRun, AssessmentVersion
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.packs.schemas import Category
from huimin_premium.packs.service import NATIONAL, PackService
from huimin_premium.peers import EligibilityClient, RosterRow
from huimin_shared import areas
from huimin_shared.idnumber import mask, mask_in_text

log = structlog.get_logger(__name__)

CHUNK = 20_000  # rows per COPY and commit (each commit is an fsync; 5,000 cost 4x as many)
LEASE_SECONDS = 60  # a running run's lease; renewed every third of it while the run is alive


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


async def execute(
    run_id: int,
    sessions: async_sessionmaker[AsyncSession],
    eligibility: EligibilityClient,
    *,
    chunk: int = CHUNK,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Run one assessment run to its end: complete (a new version), unchanged, or failed."""
    heartbeat = asyncio.create_task(_keep_lease(run_id, sessions), name=f"assessment-lease-{run_id}")
    try:
        await _execute(run_id, sessions, eligibility, chunk, now)
    except asyncio.CancelledError:
        raise  # the service is stopping: the run stays `running` and is claimed once its lease lapses
    except Exception as exc:
        log.exception("assessment_run_failed", run_id=run_id)
        async with sessions() as session:
            repository = AssessmentRepository(session)
            await repository.clear_results(run_id)
            run = await session.get(AssessmentRun, run_id)
            if run is not None:
                run.status = "failed"
                run.error = mask_in_text(str(exc))[:2000] or exc.__class__.__name__
                run.finished_at = now()
            await session.commit()
    finally:
        heartbeat.cancel()
        await asyncio.gather(heartbeat, return_exceptions=True)


async def _keep_lease(run_id: int, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Renew the run's lease while it runs, so no other process claims it as interrupted."""
    while True:
        await asyncio.sleep(LEASE_SECONDS / 3)
        try:
            async with sessions() as session:
                await AssessmentRepository(session).renew_lease(run_id, LEASE_SECONDS)
                await session.commit()
        except Exception:  # a lapse only lets another process re-run it from a clean start
            log.warning("assessment_lease_not_renewed", run_id=run_id, exc_info=True)


async def _execute(
    run_id: int,
    sessions: async_sessionmaker[AsyncSession],
    eligibility: EligibilityClient,
    chunk: int,
    now: Callable[[], datetime],
) -> None:
    async with sessions() as session:
        repository = AssessmentRepository(session)
        run = await session.get(AssessmentRun, run_id)
        assert run is not None, f"no run {run_id}"
        assessment = await repository.get(run.assessment_id)
        assert assessment is not None
        params = await parameters_for(session, assessment)
        paid = await repository.paid(run_id)
        await repository.clear_results(run_id)  # a re-run after an interruption starts clean
        await session.commit()
        kind, year, region, as_of = assessment.kind, assessment.year, assessment.region, run.as_of

    calculator = Calculator(params)
    buffer: list[tuple[Any, ...]] = []
    rows_read = 0
    rows_assessed = 0
    seen_paid = 0

    async def flush() -> None:
        async with sessions() as session:
            repository = AssessmentRepository(session)
            if buffer:
                await repository.copy_results(buffer)
            await repository.record_progress(
                run_id, rows_read=rows_read, rows_assessed=rows_assessed, now=now()
            )
            await session.commit()
        buffer.clear()

    # New entrants are the people not certified at the start of the year (B§四(三)), refunds the people on
    # the paid list (B§四(四)): eligibility sends only them instead of the whole roster (an empty paid list
    # reads nothing); ``selected`` still decides every row.
    first_eligible_after = date(year, 1, 1) if kind == "new_entrants" else None
    named = sorted(paid) if kind == "refunds" else None
    rows = (
        eligibility.roster(
            year=year, region=region, as_of=as_of, first_eligible_after=first_eligible_after, id_numbers=named
        )
        if named is None or named
        else _no_rows()
    )
    async for row in rows:
        rows_read += 1
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
    await _finish(run_id, sessions, now, paid_unmatched=len(paid) - seen_paid if kind == "refunds" else 0)


async def _finish(
    run_id: int,
    sessions: async_sessionmaker[AsyncSession],
    now: Callable[[], datetime],
    *,
    paid_unmatched: int,
) -> None:
    """Compare with the latest version; make a new version (lines + totals in SQL) only if it differs."""
    async with sessions() as session:
        repository = AssessmentRepository(session)
        run = await session.get(AssessmentRun, run_id, with_for_update=True)
        assert run is not None
        assessment = await session.get(Assessment, run.assessment_id, with_for_update=True)
        assert assessment is not None
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
        await session.commit()
        log.info(
            "assessment_version", assessment=str(assessment.id), version=number, lines=version.line_count
        )


class Jobs:
    """Background runs of this process, so a request answers 202 at once and progress can be read."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], eligibility: Callable[[], EligibilityClient]
    ) -> None:
        self.sessions = sessions
        self.eligibility = eligibility
        self.tasks: dict[int, asyncio.Task[None]] = {}

    async def launch(self, run_id: int) -> None:
        """For BackgroundTasks: an async callable runs on the event loop, not in a thread."""
        self.start(run_id)

    def start(self, run_id: int) -> None:
        if run_id in self.tasks and not self.tasks[run_id].done():
            return
        task = asyncio.create_task(
            execute(run_id, self.sessions, self.eligibility()), name=f"assessment-run-{run_id}"
        )
        self.tasks[run_id] = task
        task.add_done_callback(lambda _t: self.tasks.pop(run_id, None))

    async def resume_interrupted(self) -> list[int]:
        """Claim the running runs whose lease has lapsed (their process stopped) and re-run them here."""
        async with self.sessions() as session:
            interrupted = list(await AssessmentRepository(session).claim_interrupted(LEASE_SECONDS))
            await session.commit()
        for run_id in interrupted:
            log.info("assessment_run_resumed", run_id=run_id)
            self.start(run_id)
        return interrupted

    async def stop(self) -> None:
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
