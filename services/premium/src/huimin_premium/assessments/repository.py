"""SQL for assessments other than a run's writes (``writer.py``, ``lines.py``): the assessments, runs, paid
lists and versions, and keyset and streamed reads of lines, results and groups."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy import codes
from huimin_premium.assessments.models import (
    Assessment,
    AssessmentLine,
    AssessmentResult,
    AssessmentRun,
    AssessmentTotal,
    AssessmentVersion,
    PaidResident,
)
from huimin_shared import areas, bulk
from huimin_shared.auth import Principal

NO_CATEGORY = "none"  # the category filter's name for lines without a subsidised category

# One line of the NDJSON contract, rendered by PostgreSQL: amounts are numeric(16, 2) as text ("130.00"); the
# platform codes come from the category and age group by huimin_policy.codes' map (docs/codes.md), never stored.
LINES_NDJSON = f"""
SELECT json_build_object(
    'id', id, 'id_number', id_number, 'region_code', region_code, 'category', category,
    'age_group', age_group, 'line_kind', line_kind, 'adjusts_version', adjusts_version, 'change', change,
    'individual_contribution', individual_contribution::text, 'assistance_subsidy', assistance_subsidy::text,
    'resident_pays', resident_pays::text,
    'by_payer', json_build_object(
        'central', central::text, 'province', province::text, 'city', city::text,
        'district_or_county', district_or_county::text),
    'citation', citation, 'insutype', '{codes.INSUTYPE}',
    'psn_type', {codes.sql_case("age_group", codes.PSN_TYPE_BY_AGE_GROUP)},
    'assistance_psn_type', {codes.sql_case("category", codes.ASSISTANCE_PSN_TYPE_BY_CATEGORY)})::text
FROM assessment_lines
WHERE version_id = $1 AND ($2::text IS NULL OR line_kind = $2)
  AND ($3::text[] IS NULL OR coalesce(category, 'none') = ANY($3::text[]))
ORDER BY id
"""

LINE_GROUPS = """
SELECT region_code, category, age_group, line_kind, count(*) AS count,
    sum(individual_contribution) AS individual_contribution, sum(assistance_subsidy) AS assistance_subsidy,
    sum(resident_pays) AS resident_pays, sum(central) AS central, sum(province) AS province,
    sum(city) AS city, sum(district_or_county) AS district_or_county
FROM assessment_lines WHERE version_id = :version_id
GROUP BY region_code, category, age_group, line_kind
ORDER BY region_code, category NULLS FIRST, age_group, line_kind
"""

ADVISORY_NAMESPACE = 0x70726D  # "prm": the premium service's advisory locks (key 2 is the cover year)


def readable_assessments(principal: Principal) -> Select[Assessment]:
    """The one place that decides which assessments a token may read: those inside its region."""
    statement = select(Assessment)
    if principal.region is not None:
        statement = statement.where(Assessment.region.like(areas.prefix_of(principal.region) + "%"))
    return statement


class AssessmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- assessments, runs, versions ---------------------------------------------------------

    async def get_readable(self, principal: Principal, assessment_id: uuid.UUID) -> Assessment | None:
        return await self.session.scalar(
            readable_assessments(principal).where(Assessment.id == assessment_id)
        )

    async def get(self, assessment_id: uuid.UUID) -> Assessment | None:
        return await self.session.get(Assessment, assessment_id)

    async def list_readable(
        self, principal: Principal, *, region: str | None, year: int | None, kind: str | None
    ) -> Sequence[Assessment]:
        statement = readable_assessments(principal).order_by(
            Assessment.year, Assessment.region, Assessment.kind
        )
        if region is not None:
            statement = statement.where(Assessment.region.like(areas.prefix_of(region) + "%"))
        if year is not None:
            statement = statement.where(Assessment.year == year)
        if kind is not None:
            statement = statement.where(Assessment.kind == kind)
        return (await self.session.scalars(statement)).all()

    async def add(self, row: Any) -> None:
        self.session.add(row)
        await self.session.flush()

    async def add_paid(self, run_id: int, id_numbers: Sequence[str]) -> None:
        chunk = 5000
        for start in range(0, len(id_numbers), chunk):
            rows = [{"run_id": run_id, "id_number": n} for n in id_numbers[start : start + chunk]]
            # A declarative model's __table__ is its Table by construction (typed as FromClause).
            await self.session.execute(cast(Table, PaidResident.__table__).insert(), rows)

    async def paid(self, run_id: int) -> set[str]:
        return set(
            await self.session.scalars(select(PaidResident.id_number).where(PaidResident.run_id == run_id))
        )

    async def run(self, assessment_id: uuid.UUID, run_id: int) -> AssessmentRun | None:
        return await self.session.scalar(
            select(AssessmentRun).where(
                AssessmentRun.assessment_id == assessment_id, AssessmentRun.id == run_id
            )
        )

    async def runs(self, assessment_id: uuid.UUID) -> Sequence[AssessmentRun]:
        return (
            await self.session.scalars(
                select(AssessmentRun)
                .where(AssessmentRun.assessment_id == assessment_id)
                .order_by(AssessmentRun.id)
            )
        ).all()

    async def running_run(self, assessment_id: uuid.UUID) -> AssessmentRun | None:
        return await self.session.scalar(
            select(AssessmentRun).where(
                AssessmentRun.assessment_id == assessment_id, AssessmentRun.status == "running"
            )
        )

    async def lock_year(self, year: int) -> None:
        """Serialise creating assessments and runs of one cover year (held until the transaction ends), so
        the overlap checks below cannot race with a concurrent request."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :year)"),
            {"namespace": ADVISORY_NAMESPACE, "year": year},
        )

    async def overlapping(self, region: str, year: int, kinds: Sequence[str]) -> list[Assessment]:
        """Assessments of the year and kinds whose region contains, or lies inside, ``region``."""
        rows = await self.session.scalars(
            select(Assessment)
            .where(Assessment.year == year, Assessment.kind.in_(kinds))
            .order_by(Assessment.region, Assessment.kind)
        )
        return [
            row for row in rows if areas.contains(row.region, region) or areas.contains(region, row.region)
        ]

    async def latest_paid_list(self, assessment_id: uuid.UUID) -> list[str]:
        """The paid list of an assessment's latest run that did not fail (running, complete or unchanged)."""
        latest = (
            select(AssessmentRun.id)
            .where(AssessmentRun.assessment_id == assessment_id, AssessmentRun.status != "failed")
            .order_by(AssessmentRun.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return list(
            await self.session.scalars(
                select(PaidResident.id_number)
                .where(PaidResident.run_id == latest)
                .order_by(PaidResident.id_number)
            )
        )

    async def subsidised_in_run(self, run_id: int, id_numbers: Sequence[str]) -> list[str]:
        """Which of ``id_numbers`` a run's results (a version's statement) give a non-zero subsidy."""
        found: list[str] = []
        chunk = 10_000
        for start in range(0, len(id_numbers), chunk):
            found.extend(
                await self.session.scalars(
                    select(AssessmentResult.id_number)
                    .where(
                        AssessmentResult.run_id == run_id,
                        AssessmentResult.id_number.in_(id_numbers[start : start + chunk]),
                        AssessmentResult.assistance_subsidy != 0,
                    )
                    .order_by(AssessmentResult.id_number)
                )
            )
        return found

    async def version(self, assessment_id: uuid.UUID, version: int) -> AssessmentVersion | None:
        return await self.session.scalar(
            select(AssessmentVersion).where(
                AssessmentVersion.assessment_id == assessment_id, AssessmentVersion.version == version
            )
        )

    async def versions(self, assessment_id: uuid.UUID) -> Sequence[AssessmentVersion]:
        return (
            await self.session.scalars(
                select(AssessmentVersion)
                .where(AssessmentVersion.assessment_id == assessment_id)
                .order_by(AssessmentVersion.version)
            )
        ).all()

    async def totals(self, version_id: int) -> Sequence[AssessmentTotal]:
        return (
            await self.session.scalars(
                select(AssessmentTotal)
                .where(AssessmentTotal.version_id == version_id)
                .order_by(AssessmentTotal.dimension, AssessmentTotal.key)
            )
        ).all()

    # --- reading lines ------------------------------------------------------------------------------

    def lines_statement(
        self, version_id: int, line_kind: str | None, categories: Sequence[str] | None = None
    ) -> Select[AssessmentLine]:
        statement = select(AssessmentLine).where(AssessmentLine.version_id == version_id)
        if line_kind is not None:
            statement = statement.where(AssessmentLine.line_kind == line_kind)
        if categories:
            statement = statement.where(func.coalesce(AssessmentLine.category, NO_CATEGORY).in_(categories))
        return statement.order_by(AssessmentLine.id)

    async def person_lines(
        self, id_number: str, region: str | None
    ) -> Sequence[tuple[AssessmentLine, AssessmentVersion, Assessment]]:
        """A person's lines in every version (index on id_number), with their version and assessment."""
        statement = (
            select(AssessmentLine, AssessmentVersion, Assessment)
            .join(AssessmentVersion, AssessmentVersion.id == AssessmentLine.version_id)
            .join(Assessment, Assessment.id == AssessmentVersion.assessment_id)
            .where(AssessmentLine.id_number == id_number)
            .order_by(Assessment.year, Assessment.kind, AssessmentVersion.version, AssessmentLine.id)
        )
        if region is not None:
            statement = statement.where(AssessmentLine.region_code.like(areas.prefix_of(region) + "%"))
        return [(row[0], row[1], row[2]) for row in await self.session.execute(statement)]

    async def lines_page(
        self,
        version_id: int,
        *,
        after: int | None,
        limit: int,
        line_kind: str | None,
        categories: Sequence[str] | None = None,
    ) -> Sequence[AssessmentLine]:
        statement = self.lines_statement(version_id, line_kind, categories)
        if after is not None:
            statement = statement.where(AssessmentLine.id > after)
        return (await self.session.scalars(statement.limit(limit))).all()

    async def stream_lines(
        self,
        version_id: int,
        line_kind: str | None,
        categories: Sequence[str] | None = None,
        batch: int = 10_000,
    ) -> AsyncIterator[str]:
        """Every line as NDJSON rendered by PostgreSQL (LINES_NDJSON), in chunks of ``batch`` lines read
        through an asyncpg cursor inside the session's transaction: Python only passes the text on."""
        chosen = list(categories) if categories else None
        async for rows in bulk.fetch_chunks(
            self.session, LINES_NDJSON, version_id, line_kind, chosen, batch=batch
        ):
            yield "\n".join(row[0] for row in rows) + "\n"

    async def groups(self, version_id: int) -> list[Any]:
        """The version's lines summed per region, category, age group and line kind (one GROUP BY)."""
        return list(await self.session.execute(text(LINE_GROUPS), {"version_id": version_id}))

    async def stream_results(self, run_id: int, page: int = 10000) -> AsyncIterator[Sequence[Any]]:
        """A run's results in keyset pages of plain rows (for simulations and reports)."""
        after = ""
        while True:
            rows = (
                await self.session.execute(
                    select(
                        AssessmentResult.id_number,
                        AssessmentResult.birth_date,
                        AssessmentResult.region_code,
                        AssessmentResult.categories,
                        AssessmentResult.category,
                        AssessmentResult.age_group,
                        AssessmentResult.assistance_subsidy,
                        AssessmentResult.central,
                        AssessmentResult.province,
                        AssessmentResult.city,
                        AssessmentResult.district_or_county,
                    )
                    .where(AssessmentResult.run_id == run_id, AssessmentResult.id_number > after)
                    .order_by(AssessmentResult.id_number)
                    .limit(page)
                )
            ).all()
            if rows:
                yield rows
            if len(rows) < page:
                return
            after = rows[-1].id_number

    async def adjustments_page(
        self, version_id: int, adjusts_version: int, *, after: str | None, limit: int
    ) -> Sequence[AssessmentLine]:
        ids = (
            select(AssessmentLine.id_number)
            .where(AssessmentLine.version_id == version_id, AssessmentLine.adjusts_version == adjusts_version)
            .distinct()
            .order_by(AssessmentLine.id_number)
            .limit(limit)
        )
        if after is not None:
            ids = ids.where(AssessmentLine.id_number > after)
        return (
            await self.session.scalars(
                select(AssessmentLine)
                .where(
                    AssessmentLine.version_id == version_id,
                    AssessmentLine.adjusts_version == adjusts_version,
                    AssessmentLine.id_number.in_(ids.scalar_subquery()),
                )
                .order_by(AssessmentLine.id_number, AssessmentLine.id)
            )
        ).all()

    async def adjustment_counts(self, version_id: int, adjusts_version: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(AssessmentLine.change, func.count())
            .where(AssessmentLine.version_id == version_id, AssessmentLine.adjusts_version == adjusts_version)
            .group_by(AssessmentLine.change)
        )
        return {str(change): int(n) for change, n in rows.all()}
