"""Assessment reads: assessments, runs, versions with totals, lines (pages or a stream), groups and diffs —
each limited to what the token's region may read, every person shown written to the read log."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_premium.assessments.models import Assessment, AssessmentLine, AssessmentVersion
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.assessments.schemas import (
    AssessmentOut,
    Diff,
    DiffCounts,
    DiffItem,
    Kind,
    Line,
    LineCategory,
    LineGroup,
    LineKind,
    LinePage,
    PayerAmounts,
    PayerTotals,
    PersonLine,
    Run,
    RunStatus,
    VersionOut,
)
from huimin_premium.assessments.views import (
    PAYER_COLUMNS,
    diff_item,
    line_out,
    payer_totals,
    run_out,
    totals_out,
)
from huimin_premium.packs.schemas import PackRef
from huimin_premium.packs.service import NATIONAL
from huimin_premium.reads.service import ensure_own, log_bulk_reads, log_reads
from huimin_shared.auth import Principal
from huimin_shared.errors import NotFound, Unprocessable


async def assessment_out(session: AsyncSession, assessment: Assessment) -> AssessmentOut:
    versions = await AssessmentRepository(session).versions(assessment.id)
    return AssessmentOut(
        id=assessment.id,
        region=assessment.region,
        year=assessment.year,
        kind=Kind(assessment.kind),
        latest_version=assessment.latest_version,
        pack=PackRef(id=assessment.pack_id, version=assessment.pack_version),
        national_pack=PackRef(id=NATIONAL, version=assessment.national_pack_version),
        created_by=assessment.created_by,
        created_at=assessment.created_at,
        versions=[v.version for v in versions],
    )


async def readable(session: AsyncSession, principal: Principal, assessment_id: uuid.UUID) -> Assessment:
    assessment = await AssessmentRepository(session).get_readable(principal, assessment_id)
    if assessment is None:
        raise NotFound(f"no assessment {assessment_id} readable with this token")
    return assessment


async def get(session: AsyncSession, principal: Principal, assessment_id: uuid.UUID) -> AssessmentOut:
    return await assessment_out(session, await readable(session, principal, assessment_id))


async def list_assessments(
    session: AsyncSession, principal: Principal, *, region: str | None, year: int | None, kind: Kind | None
) -> list[AssessmentOut]:
    rows = await AssessmentRepository(session).list_readable(
        principal, region=region, year=year, kind=kind.value if kind else None
    )
    return [await assessment_out(session, row) for row in rows]


async def run(session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, run_id: int) -> Run:
    await readable(session, principal, assessment_id)
    run = await AssessmentRepository(session).run(assessment_id, run_id)
    if run is None:
        raise NotFound(f"no run {run_id} of assessment {assessment_id}")
    return run_out(run)


async def runs(session: AsyncSession, principal: Principal, assessment_id: uuid.UUID) -> list[Run]:
    await readable(session, principal, assessment_id)
    return [run_out(run) for run in await AssessmentRepository(session).runs(assessment_id)]


async def version_row(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, version: int
) -> tuple[Assessment, AssessmentVersion]:
    assessment = await readable(session, principal, assessment_id)
    row = await AssessmentRepository(session).version(assessment.id, version)
    if row is None:
        raise NotFound(f"assessment {assessment_id} has no version {version}")
    return assessment, row


async def version(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, version: int
) -> VersionOut:
    assessment, row = await version_row(session, principal, assessment_id, version)
    return await _version_out(session, assessment, row)


async def versions(session: AsyncSession, principal: Principal, assessment_id: uuid.UUID) -> list[VersionOut]:
    assessment = await readable(session, principal, assessment_id)
    return [
        await _version_out(session, assessment, row)
        for row in await AssessmentRepository(session).versions(assessment.id)
    ]


async def _version_out(session: AsyncSession, assessment: Assessment, row: AssessmentVersion) -> VersionOut:
    return VersionOut(
        id=assessment.id,
        version=row.version,
        region=assessment.region,
        year=assessment.year,
        kind=Kind(assessment.kind),
        as_of=row.as_of,
        pack=PackRef(id=assessment.pack_id, version=assessment.pack_version),
        national_pack=PackRef(id=NATIONAL, version=assessment.national_pack_version),
        previous_version=row.previous_version,
        line_count=row.line_count,
        resident_count=row.resident_count,
        content_hash=row.content_hash,
        status=RunStatus.complete,
        totals=totals_out(await AssessmentRepository(session).totals(row.id)),
        created_at=row.created_at,
    )


async def lines_page(
    session: AsyncSession,
    principal: Principal,
    assessment_id: uuid.UUID,
    version: int,
    *,
    after: int | None,
    limit: int,
    line_kind: LineKind | None,
    categories: Sequence[LineCategory] | None = None,
) -> tuple[list[Line], str | None]:
    _assessment, row = await version_row(session, principal, assessment_id, version)
    lines = await AssessmentRepository(session).lines_page(
        row.id,
        after=after,
        limit=limit,
        line_kind=line_kind.value if line_kind else None,
        categories=[c.value for c in categories] if categories else None,
    )
    next_after = str(lines[-1].id) if len(lines) == limit else None
    await log_reads(session, [line.id_number for line in lines], principal, "assessment_lines")
    return [line_out(line) for line in lines], next_after


async def log_streamed_lines(
    session: AsyncSession,
    principal: Principal,
    version_id: int,
    line_kind: LineKind | None,
    categories: Sequence[LineCategory] | None = None,
) -> None:
    """Every person a streamed read of a version's lines shows, logged set-based before it streams."""
    statement = AssessmentRepository(session).lines_statement(
        version_id,
        line_kind.value if line_kind else None,
        [c.value for c in categories] if categories else None,
    )
    await log_bulk_reads(
        session, statement.with_only_columns(AssessmentLine.id_number), principal, "assessment_lines"
    )


async def person_lines(session: AsyncSession, principal: Principal, id_number: str) -> list[PersonLine]:
    """A person's lines in every version of every assessment (their own view, DRS-8), oldest first; a
    region-limited token sees only lines of its region."""
    ensure_own(principal, id_number)
    rows = await AssessmentRepository(session).person_lines(id_number, principal.region)
    await log_reads(session, [id_number] if rows else [], principal, "resident_assessments")
    return [
        PersonLine(assessment_id=a.id, year=a.year, kind=Kind(a.kind), version=v.version, line=line_out(line))
        for line, v, a in rows
    ]


async def stream_lines(
    session: AsyncSession,
    version_id: int,
    line_kind: LineKind | None,
    categories: Sequence[LineCategory] | None = None,
) -> AsyncIterator[str]:
    """NDJSON text rendered in PostgreSQL, a chunk of lines at a time."""
    async for text in AssessmentRepository(session).stream_lines(
        version_id,
        line_kind.value if line_kind else None,
        [c.value for c in categories] if categories else None,
    ):
        yield text


async def groups(
    session: AsyncSession, principal: Principal, assessment_id: uuid.UUID, version: int
) -> list[LineGroup]:
    _assessment, row = await version_row(session, principal, assessment_id, version)
    return [
        LineGroup(
            region_code=g.region_code,
            category=g.category,
            age_group=g.age_group,
            line_kind=LineKind(g.line_kind),
            count=g.count,
            individual_contribution=g.individual_contribution,
            assistance_subsidy=g.assistance_subsidy,
            resident_pays=g.resident_pays,
            by_payer=PayerAmounts(**{p: getattr(g, p) for p in PAYER_COLUMNS}),
        )
        for g in await AssessmentRepository(session).groups(row.id)
    ]


async def diff(
    session: AsyncSession,
    principal: Principal,
    assessment_id: uuid.UUID,
    version: int,
    *,
    after: str | None,
    limit: int,
) -> Diff:
    assessment, row = await version_row(session, principal, assessment_id, version)
    if row.previous_version is None:
        raise Unprocessable(f"version {version} is the first; there is nothing to compare it with")
    previous = await AssessmentRepository(session).version(assessment.id, row.previous_version)
    if previous is None:
        raise RuntimeError("previous is missing")
    before = totals_out(await AssessmentRepository(session).totals(previous.id))
    now = totals_out(await AssessmentRepository(session).totals(row.id))
    counts = await AssessmentRepository(session).adjustment_counts(row.id, previous.version)
    lines = await AssessmentRepository(session).adjustments_page(
        row.id, previous.version, after=after, limit=limit
    )
    items: list[DiffItem] = []
    by_id: dict[str, list[AssessmentLine]] = {}
    for line in lines:
        by_id.setdefault(line.id_number, []).append(line)
    for id_number, group in by_id.items():
        items.append(diff_item(id_number, group))
    return Diff(
        id=assessment.id,
        from_version=previous.version,
        to_version=row.version,
        counts=DiffCounts(
            new=counts.get("new", 0), exited=counts.get("exited", 0), changed=counts.get("replacement", 0)
        ),
        before=payer_totals(before),
        after=payer_totals(now),
        difference=PayerTotals(
            **{p: getattr(now.by_payer, p) - getattr(before.by_payer, p) for p in PAYER_COLUMNS},
            total=now.assistance_subsidy - before.assistance_subsidy,
        ),
        items=items,
        next_after=items[-1].id_number if len(items) == limit else None,
    )


async def lines(
    session: AsyncSession,
    principal: Principal,
    assessment_id: uuid.UUID,
    version: int,
    *,
    stream_from: AsyncSession | None,
    after: int | None,
    limit: int,
    line_kind: LineKind | None,
    categories: Sequence[LineCategory] | None,
) -> LinePage | AsyncIterator[str]:
    """A page of a version's lines, or (``stream_from``: a read session that lives until the response is
    sent) every line as NDJSON, each person shown logged set-based before the stream starts."""
    if stream_from is None:
        items, next_after = await lines_page(
            session,
            principal,
            assessment_id,
            version,
            after=after,
            limit=limit,
            line_kind=line_kind,
            categories=categories,
        )
        return LinePage(items=items, next_after=next_after)
    _assessment, row = await version_row(session, principal, assessment_id, version)
    await log_streamed_lines(session, principal, row.id, line_kind, categories)
    return stream_lines(stream_from, row.id, line_kind, categories)
