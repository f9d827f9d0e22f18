"""Assessment use cases that write: start an assessment, re-run it, with the paid-list checks (S4)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium import rules
from huimin_premium.assessments import reads
from huimin_premium.assessments.models import (
    Assessment,
    AssessmentRun,
)
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.assessments.runner import ASSESSMENT_RUN, paid_hash
from huimin_premium.assessments.schemas import (
    Accepted,
    AssessmentRequest,
    Kind,
    Run,
    RunRequest,
)
from huimin_premium.assessments.views import run_out
from huimin_premium.packs import service as packs
from huimin_shared import areas, jobs
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, Unprocessable
from huimin_shared.idnumber import mask


async def create(session: AsyncSession, principal: Principal, request: AssessmentRequest) -> Accepted:
    principal.ensure_covers(request.region)
    if request.kind is Kind.refunds and not request.paid:
        raise Unprocessable("a refunds assessment needs the list of residents who had already paid (`paid`)")
    await AssessmentRepository(session).lock_year(request.year)
    # S4 / R1: two assessments of one kind and year whose regions nest (210500 and 210502) would
    # both assess everyone in the smaller region: pay and count them twice.
    for other in await AssessmentRepository(session).overlapping(
        request.region, request.year, [request.kind.value]
    ):
        how = (
            "exists"
            if other.region == request.region
            else f"overlaps it ({other.region} {'contains' if areas.contains(other.region, request.region) else 'lies inside'} {request.region})"
        )
        raise Conflict(
            f"an assessment of {other.region} {request.year} {request.kind.value} {how}: {other.id}; "
            "a resident must be assessed once per kind and year (S4) — re-run it with "
            f"POST /v1/assessments/{other.id}/runs"
        )
        # Resolve now, so a pack that cannot serve this place and year is a 422 before anything is stored.
    params = await packs.parameters(session, request.region, request.year, request.pack)
    rules.region_class(request.region, params.region_prefixes)
    assessment = Assessment(
        region=request.region,
        year=request.year,
        kind=request.kind.value,
        pack_id=params.pack.id,
        pack_version=params.pack.version,
        national_pack_version=params.national_pack.version,
        created_by=principal.subject,
    )
    await _insert(
        session, assessment, f"an assessment of {request.region} {request.year} {request.kind.value} exists"
    )
    paid = await _run_paid_list(session, assessment, request)
    run = await _new_run(session, assessment, principal, request, paid)
    return Accepted(assessment=await reads.assessment_out(session, assessment), run=run_out(run))


async def _insert(session: AsyncSession, row: Assessment | AssessmentRun, conflict: str) -> None:
    """Insert in a savepoint: a unique violation from a concurrent request is a 409, not a 500."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{conflict} (a concurrent request made it first)") from exc


async def _run_paid_list(session: AsyncSession, assessment: Assessment, request: RunRequest) -> list[str]:
    """The residents a run treats as already paid (B§四(四), S4).

    refunds: the list given, refused (409) if any of them is subsidised in the latest version of an
    annual or new_entrants assessment of the year covering them — they would be paid twice.
    annual / new_entrants: the list given plus the latest refunds run's list of the year for the same
    place, so a list sent only with the refunds run still keeps those people out.
    """
    own = sorted(set(request.paid))
    if assessment.kind == Kind.refunds.value:
        if not own:
            raise Unprocessable(
                "a refunds assessment needs the list of residents who had already paid (`paid`)"
            )
        for other in await AssessmentRepository(session).overlapping(
            assessment.region, assessment.year, [Kind.annual.value, Kind.new_entrants.value]
        ):
            if await AssessmentRepository(session).running_run(other.id) is not None:
                raise Conflict(
                    f"the {other.kind} assessment {other.id} of {other.region} {other.year} is running; "
                    "refund once it has finished, so nobody is both subsidised and refunded (S4)"
                )
            if not other.latest_version:
                continue
            version = await AssessmentRepository(session).version(other.id, other.latest_version)
            if version is None:
                raise RuntimeError("version is missing")
            twice = await AssessmentRepository(session).subsidised_in_run(version.run_id, own)
            if twice:
                shown = ", ".join(mask(n) for n in twice[:5]) + (" …" if len(twice) > 5 else "")
                raise Conflict(
                    f"{len(twice)} of the listed residents were already assessed as subsidised in "
                    f"{other.kind} assessment {other.id} version {other.latest_version} ({shown}); "
                    "refunding them too would pay twice (B§四(四), S4) — re-run that assessment with "
                    "them on its `paid` list first"
                )
        return own
    union = set(own)
    for refunds in await AssessmentRepository(session).overlapping(
        assessment.region, assessment.year, [Kind.refunds.value]
    ):
        union.update(await AssessmentRepository(session).latest_paid_list(refunds.id))
    return sorted(union)


async def _new_run(
    session: AsyncSession, assessment: Assessment, principal: Principal, request: RunRequest, paid: list[str]
) -> AssessmentRun:
    run = AssessmentRun(
        assessment_id=assessment.id,
        as_of=request.as_of,
        status="running",
        paid_listed=len(paid),
        paid_hash=paid_hash(paid),
        rows_read=0,
        rows_assessed=0,
        created_by=principal.subject,
    )
    await _insert(session, run, "a run of this assessment is still running; wait for it to finish")
    await AssessmentRepository(session).add_paid(run.id, paid)
    # The run's job, in the same transaction: it exists if and only if the run does.
    await jobs.enqueue(
        session,
        kind=ASSESSMENT_RUN,
        key=str(run.id),
        payload={"run_id": run.id},
        region=assessment.region,
    )
    return run


async def rerun(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, request: RunRequest
) -> tuple[Run, bool]:
    """A new run, unless one is running (409) or the inputs equal the latest version's (same as_of and
    paid list: the same lines by construction, so no run and no version)."""
    assessment = await reads.readable(session, principal, assessment_id)
    await AssessmentRepository(session).lock_year(assessment.year)
    if await AssessmentRepository(session).running_run(assessment.id) is not None:
        raise Conflict("a run of this assessment is still running; wait for it to finish")
    paid = await _run_paid_list(session, assessment, request)
    if assessment.latest_version:
        latest = await AssessmentRepository(session).version(assessment.id, assessment.latest_version)
        if latest is None:
            raise RuntimeError("latest is missing")
        latest_run = await session.get(AssessmentRun, latest.run_id)
        if latest_run is None:
            raise RuntimeError("latest_run is missing")
        if latest_run.as_of == request.as_of and latest_run.paid_hash == paid_hash(paid):
            return run_out(latest_run), False
    return run_out(await _new_run(session, assessment, principal, request, paid)), True
