"""Assessment rows as the API shows them: runs, lines (JSON and NDJSON), totals and diff items."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal

from huimin_policy import codes
from huimin_premium.assessments.models import AssessmentLine, AssessmentRun, AssessmentTotal
from huimin_premium.assessments.schemas import (
    DiffItem,
    DiffSide,
    Line,
    LineKind,
    PayerAmounts,
    PayerTotals,
    Run,
    RunStatus,
    Totals,
    TotalsGroup,
)
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


def group_out(total: AssessmentTotal) -> TotalsGroup:
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
    base = group_out(overall) if overall else empty
    return Totals(
        **base.model_dump(),
        by_category={row.key: group_out(row) for row in rows if row.dimension == "category"},
        by_age_group={row.key: group_out(row) for row in rows if row.dimension == "age_group"},
        by_region={row.key: group_out(row) for row in rows if row.dimension == "region"},
    )


def payer_totals(totals: Totals) -> PayerTotals:
    return PayerTotals(**totals.by_payer.model_dump(), total=totals.assistance_subsidy)


def _side(line: AssessmentLine, sign: int) -> DiffSide:
    return DiffSide(
        category=line.category,
        age_group=line.age_group,
        region_code=line.region_code,
        assistance_subsidy=line.assistance_subsidy * sign,
    )


def diff_item(id_number: str, lines: list[AssessmentLine]) -> DiffItem:
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
