"""Assessment use cases: start runs, read versions, totals, lines and diffs."""

from __future__ import annotations

import builtins  # `list` inside AssessmentService names its method, so annotations say builtins.list
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy import codes
from huimin_premium import rules
from huimin_premium.assessments.models import (
    Assessment,
    AssessmentLine,
    AssessmentRun,
    AssessmentTotal,
    AssessmentVersion,
)
from huimin_premium.assessments.repository import AssessmentRepository
from huimin_premium.assessments.runner import ASSESSMENT_RUN, paid_hash
from huimin_premium.assessments.schemas import (
    AssessmentOut,
    AssessmentRequest,
    Diff,
    DiffCounts,
    DiffItem,
    DiffSide,
    Kind,
    Line,
    LineCategory,
    LineGroup,
    LineKind,
    PayerAmounts,
    PayerTotals,
    PersonLine,
    Run,
    RunRequest,
    RunStatus,
    Totals,
    TotalsGroup,
    VersionOut,
)
from huimin_premium.packs.schemas import PackRef
from huimin_premium.packs.service import NATIONAL, PackService
from huimin_premium.reads.service import ensure_own, log_bulk_reads, log_reads
from huimin_shared import areas, jobs
from huimin_shared.auth import Principal
from huimin_shared.errors import Conflict, NotFound, Unprocessable
from huimin_shared.idnumber import mask
from huimin_shared.money import ZERO, format_yuan

PAYER_COLUMNS = ("central", "province", "city", "district_or_county")


def run_out(run: AssessmentRun) -> Run:
    return Run(
        id=run.id,
        assessment_id=run.assessment_id,
        status=RunStatus(run.status),
        as_of=run.as_of,
        rows_read=run.rows_read,
        rows_assessed=run.rows_assessed,
        paid_listed=run.paid_listed,
        paid_unmatched=run.paid_unmatched,
        version=run.version,
        started_at=run.started_at,
        progress_at=run.progress_at,
        finished_at=run.finished_at,
        error=run.error,
    )


def line_out(line: AssessmentLine) -> Line:
    return Line(
        id=line.id,
        id_number=line.id_number,
        region_code=line.region_code,
        category=line.category,
        age_group=line.age_group,
        line_kind=LineKind(line.line_kind),
        adjusts_version=line.adjusts_version,
        change=line.change,
        individual_contribution=line.individual_contribution,
        assistance_subsidy=line.assistance_subsidy,
        resident_pays=line.resident_pays,
        by_payer=PayerAmounts(**{p: getattr(line, p) for p in PAYER_COLUMNS}),
        citation=line.citation,
    )


def ndjson_line(line: AssessmentLine) -> str:
    """The NDJSON form of a line, written directly (the bulk path skips pydantic)."""
    return (
        json.dumps(
            {
                "id": line.id,
                "id_number": line.id_number,
                "region_code": line.region_code,
                "category": line.category,
                "age_group": line.age_group,
                "line_kind": line.line_kind,
                "adjusts_version": line.adjusts_version,
                "change": line.change,
                "individual_contribution": format_yuan(line.individual_contribution),
                "assistance_subsidy": format_yuan(line.assistance_subsidy),
                "resident_pays": format_yuan(line.resident_pays),
                "by_payer": {p: format_yuan(getattr(line, p)) for p in PAYER_COLUMNS},
                "citation": line.citation,
                "insutype": codes.INSUTYPE,
                "psn_type": codes.psn_type(line.age_group),
                "assistance_psn_type": codes.assistance_psn_type(line.category),
            },
            ensure_ascii=False,
        )
        + "\n"
    )


def _group(total: AssessmentTotal) -> TotalsGroup:
    return TotalsGroup(
        line_count=total.line_count,
        residents=total.residents,
        individual_contribution=total.individual_contribution,
        assistance_subsidy=total.assistance_subsidy,
        resident_pays=total.resident_pays,
        by_payer=PayerAmounts(**{p: getattr(total, p) for p in PAYER_COLUMNS}),
    )


def totals_out(rows: Sequence[AssessmentTotal]) -> Totals:
    overall = next((row for row in rows if row.dimension == "all"), None)
    empty = TotalsGroup(
        line_count=0,
        residents=0,
        individual_contribution=ZERO,
        assistance_subsidy=ZERO,
        resident_pays=ZERO,
        by_payer=PayerAmounts(central=ZERO, province=ZERO, city=ZERO, district_or_county=ZERO),
    )
    base = _group(overall) if overall else empty
    return Totals(
        **base.model_dump(),
        by_category={row.key: _group(row) for row in rows if row.dimension == "category"},
        by_age_group={row.key: _group(row) for row in rows if row.dimension == "age_group"},
        by_region={row.key: _group(row) for row in rows if row.dimension == "region"},
    )


class AssessmentService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repository = AssessmentRepository(session)

    async def _out(self, assessment: Assessment) -> AssessmentOut:
        versions = await self.repository.versions(assessment.id)
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

    async def create(
        self, principal: Principal, request: AssessmentRequest
    ) -> tuple[AssessmentOut, AssessmentRun]:
        principal.ensure_covers(request.region)
        if request.kind is Kind.refunds and not request.paid:
            raise Unprocessable(
                "a refunds assessment needs the list of residents who had already paid (`paid`)"
            )
        await self.repository.lock_year(request.year)
        # S4 / R1: two assessments of one kind and year whose regions nest (210500 and 210502) would
        # both assess everyone in the smaller region: pay and count them twice.
        for other in await self.repository.overlapping(request.region, request.year, [request.kind.value]):
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
        packs = PackService(self.session)
        # Resolve now, so a pack that cannot serve this place and year is a 422 before anything is stored.
        params = await packs.parameters(request.region, request.year, request.pack)
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
        await self._insert(
            assessment, f"an assessment of {request.region} {request.year} {request.kind.value} exists"
        )
        paid = await self._run_paid_list(assessment, request)
        run = await self._new_run(assessment, principal, request, paid)
        return await self._out(assessment), run

    async def _insert(self, row: Assessment | AssessmentRun, conflict: str) -> None:
        """Insert in a savepoint: a unique violation from a concurrent request is a 409, not a 500."""
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"{conflict} (a concurrent request made it first)") from exc

    async def _run_paid_list(self, assessment: Assessment, request: RunRequest) -> list[str]:
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
            for other in await self.repository.overlapping(
                assessment.region, assessment.year, [Kind.annual.value, Kind.new_entrants.value]
            ):
                if await self.repository.running_run(other.id) is not None:
                    raise Conflict(
                        f"the {other.kind} assessment {other.id} of {other.region} {other.year} is running; "
                        "refund once it has finished, so nobody is both subsidised and refunded (S4)"
                    )
                if not other.latest_version:
                    continue
                version = await self.repository.version(other.id, other.latest_version)
                if version is None:
                    raise RuntimeError("version is missing")
                twice = await self.repository.subsidised_in_run(version.run_id, own)
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
        for refunds in await self.repository.overlapping(
            assessment.region, assessment.year, [Kind.refunds.value]
        ):
            union.update(await self.repository.latest_paid_list(refunds.id))
        return sorted(union)

    async def _new_run(
        self, assessment: Assessment, principal: Principal, request: RunRequest, paid: list[str]
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
        await self._insert(run, "a run of this assessment is still running; wait for it to finish")
        await self.repository.add_paid(run.id, paid)
        # The run's job, in the same transaction: it exists if and only if the run does.
        await jobs.enqueue(
            self.session,
            kind=ASSESSMENT_RUN,
            key=str(run.id),
            payload={"run_id": run.id},
            region=assessment.region,
        )
        return run

    async def rerun(
        self, principal: Principal, assessment_id: uuid.UUID, request: RunRequest
    ) -> tuple[AssessmentRun, bool]:
        """A new run, unless one is running (409) or the inputs equal the latest version's (same as_of and
        paid list: the same lines by construction, so no run and no version)."""
        assessment = await self._readable(principal, assessment_id)
        await self.repository.lock_year(assessment.year)
        if await self.repository.running_run(assessment.id) is not None:
            raise Conflict("a run of this assessment is still running; wait for it to finish")
        paid = await self._run_paid_list(assessment, request)
        if assessment.latest_version:
            latest = await self.repository.version(assessment.id, assessment.latest_version)
            if latest is None:
                raise RuntimeError("latest is missing")
            latest_run = await self.session.get(AssessmentRun, latest.run_id)
            if latest_run is None:
                raise RuntimeError("latest_run is missing")
            if latest_run.as_of == request.as_of and latest_run.paid_hash == paid_hash(paid):
                return latest_run, False
        return await self._new_run(assessment, principal, request, paid), True

    async def _readable(self, principal: Principal, assessment_id: uuid.UUID) -> Assessment:
        assessment = await self.repository.get_readable(principal, assessment_id)
        if assessment is None:
            raise NotFound(f"no assessment {assessment_id} readable with this token")
        return assessment

    async def get(self, principal: Principal, assessment_id: uuid.UUID) -> AssessmentOut:
        return await self._out(await self._readable(principal, assessment_id))

    async def list(
        self, principal: Principal, *, region: str | None, year: int | None, kind: Kind | None
    ) -> list[AssessmentOut]:
        rows = await self.repository.list_readable(
            principal, region=region, year=year, kind=kind.value if kind else None
        )
        return [await self._out(row) for row in rows]

    async def run(self, principal: Principal, assessment_id: uuid.UUID, run_id: int) -> Run:
        await self._readable(principal, assessment_id)
        run = await self.repository.run(assessment_id, run_id)
        if run is None:
            raise NotFound(f"no run {run_id} of assessment {assessment_id}")
        return run_out(run)

    async def runs(self, principal: Principal, assessment_id: uuid.UUID) -> builtins.list[Run]:
        await self._readable(principal, assessment_id)
        return [run_out(run) for run in await self.repository.runs(assessment_id)]

    async def version_row(
        self, principal: Principal, assessment_id: uuid.UUID, version: int
    ) -> tuple[Assessment, AssessmentVersion]:
        assessment = await self._readable(principal, assessment_id)
        row = await self.repository.version(assessment.id, version)
        if row is None:
            raise NotFound(f"assessment {assessment_id} has no version {version}")
        return assessment, row

    async def version(self, principal: Principal, assessment_id: uuid.UUID, version: int) -> VersionOut:
        assessment, row = await self.version_row(principal, assessment_id, version)
        return await self._version_out(assessment, row)

    async def versions(self, principal: Principal, assessment_id: uuid.UUID) -> builtins.list[VersionOut]:
        assessment = await self._readable(principal, assessment_id)
        return [
            await self._version_out(assessment, row) for row in await self.repository.versions(assessment.id)
        ]

    async def _version_out(self, assessment: Assessment, row: AssessmentVersion) -> VersionOut:
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
            totals=totals_out(await self.repository.totals(row.id)),
            created_at=row.created_at,
        )

    async def lines_page(
        self,
        principal: Principal,
        assessment_id: uuid.UUID,
        version: int,
        *,
        after: int | None,
        limit: int,
        line_kind: LineKind | None,
        categories: Sequence[LineCategory] | None = None,
    ) -> tuple[builtins.list[Line], str | None]:
        _assessment, row = await self.version_row(principal, assessment_id, version)
        lines = await self.repository.lines_page(
            row.id,
            after=after,
            limit=limit,
            line_kind=line_kind.value if line_kind else None,
            categories=[c.value for c in categories] if categories else None,
        )
        next_after = str(lines[-1].id) if len(lines) == limit else None
        await log_reads(self.session, [line.id_number for line in lines], principal, "assessment_lines")
        return [line_out(line) for line in lines], next_after

    async def log_streamed_lines(
        self,
        principal: Principal,
        version_id: int,
        line_kind: LineKind | None,
        categories: Sequence[LineCategory] | None = None,
    ) -> None:
        """Every person a streamed read of a version's lines shows, logged set-based before it streams."""
        statement = self.repository.lines_statement(
            version_id,
            line_kind.value if line_kind else None,
            [c.value for c in categories] if categories else None,
        )
        await log_bulk_reads(
            self.session, statement.with_only_columns(AssessmentLine.id_number), principal, "assessment_lines"
        )

    async def person_lines(self, principal: Principal, id_number: str) -> builtins.list[PersonLine]:
        """A person's lines in every version of every assessment (their own view, DRS-8), oldest first; a
        region-limited token sees only lines of its region."""
        ensure_own(principal, id_number)
        rows = await self.repository.person_lines(id_number, principal.region)
        await log_reads(self.session, [id_number] if rows else [], principal, "resident_assessments")
        return [
            PersonLine(
                assessment_id=a.id, year=a.year, kind=Kind(a.kind), version=v.version, line=line_out(line)
            )
            for line, v, a in rows
        ]

    async def stream_lines(
        self, version_id: int, line_kind: LineKind | None, categories: Sequence[LineCategory] | None = None
    ) -> AsyncIterator[str]:
        """NDJSON text rendered in PostgreSQL, a chunk of lines at a time."""
        async for text in self.repository.stream_lines(
            version_id,
            line_kind.value if line_kind else None,
            [c.value for c in categories] if categories else None,
        ):
            yield text

    async def groups(
        self, principal: Principal, assessment_id: uuid.UUID, version: int
    ) -> builtins.list[LineGroup]:
        _assessment, row = await self.version_row(principal, assessment_id, version)
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
            for g in await self.repository.groups(row.id)
        ]

    async def diff(
        self, principal: Principal, assessment_id: uuid.UUID, version: int, *, after: str | None, limit: int
    ) -> Diff:
        assessment, row = await self.version_row(principal, assessment_id, version)
        if row.previous_version is None:
            raise Unprocessable(f"version {version} is the first; there is nothing to compare it with")
        previous = await self.repository.version(assessment.id, row.previous_version)
        if previous is None:
            raise RuntimeError("previous is missing")
        before = totals_out(await self.repository.totals(previous.id))
        now = totals_out(await self.repository.totals(row.id))
        counts = await self.repository.adjustment_counts(row.id, previous.version)
        lines = await self.repository.adjustments_page(row.id, previous.version, after=after, limit=limit)
        items: list[DiffItem] = []
        by_id: dict[str, list[AssessmentLine]] = {}
        for line in lines:
            by_id.setdefault(line.id_number, []).append(line)
        for id_number, group in by_id.items():
            items.append(_diff_item(id_number, group))
        return Diff(
            id=assessment.id,
            from_version=previous.version,
            to_version=row.version,
            counts=DiffCounts(
                new=counts.get("new", 0), exited=counts.get("exited", 0), changed=counts.get("replacement", 0)
            ),
            before=_payer_totals(before),
            after=_payer_totals(now),
            difference=PayerTotals(
                **{p: getattr(now.by_payer, p) - getattr(before.by_payer, p) for p in PAYER_COLUMNS},
                total=now.assistance_subsidy - before.assistance_subsidy,
            ),
            items=items,
            next_after=items[-1].id_number if len(items) == limit else None,
        )


def _payer_totals(totals: Totals) -> PayerTotals:
    return PayerTotals(**totals.by_payer.model_dump(), total=totals.assistance_subsidy)


def _side(line: AssessmentLine, sign: int) -> DiffSide:
    return DiffSide(
        category=line.category,
        age_group=line.age_group,
        region_code=line.region_code,
        assistance_subsidy=line.assistance_subsidy * sign,
    )


def _diff_item(id_number: str, lines: list[AssessmentLine]) -> DiffItem:
    before = next((line for line in lines if line.change in ("exited", "reversal")), None)
    after = next((line for line in lines if line.change in ("new", "replacement")), None)
    change = "new" if before is None else "exited" if after is None else "changed"
    difference = {p: sum((getattr(line, p) for line in lines), Decimal(0)) for p in PAYER_COLUMNS}
    return DiffItem(
        id_number=id_number,
        change=change,
        before=_side(before, -1) if before else None,
        after=_side(after, 1) if after else None,
        difference=sum((line.assistance_subsidy for line in lines), Decimal(0)),
        difference_by_payer=PayerAmounts(**difference),
    )
