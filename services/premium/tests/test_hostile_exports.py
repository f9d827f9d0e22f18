"""R1 as XLSX is formula-safe (issue 11): text cells are string cells, whatever they begin with."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import load_workbook

from huimin_policy.enums import AgeGroup, Category
from huimin_premium.packs.schemas import PackRef
from huimin_premium.reports.schemas import Amounts, CityReport, Enrolled, R1Report, Standard
from huimin_premium.reports.service import to_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "=1+2", "@SUM(1)", "-2+3", "+1"]


def _amounts(total: str) -> Amounts:
    zero = Decimal("0.00")
    return Amounts(
        central=zero, province=zero, city=Decimal(total), district_or_county=zero, total=Decimal(total)
    )


def test_r1_workbook_writes_formula_like_text_as_text() -> None:
    enrolled = Enrolled(minors=1, adults=1, of_which_elderly=0, total=2)
    cities = [
        CityReport(
            city="210500",
            name=name,
            pack=PackRef(id="benxi", version=1),
            enrolled=enrolled,
            standards=[
                Standard(
                    category=Category.dibao,
                    age_group=AgeGroup.adult,
                    individual_contribution=Decimal("150.00"),
                    assistance_subsidy=Decimal("150.00"),
                    citation=name,
                )
            ],
            assessed=_amounts("150.00"),
            local_fiscal_subsidy_assessed=Decimal("150.00"),
            moved=_amounts("150.00"),
            local_fiscal_subsidy_moved=Decimal("150.00"),
        )
        for name in HOSTILE
    ]
    report = R1Report(
        region="210500",
        year=2010,
        generated_at=datetime.now(UTC),
        cities=cities,
        enrolled=enrolled,
        assessed=_amounts("750.00"),
        moved=_amounts("750.00"),
    )
    data = to_xlsx(report)
    workbook = load_workbook(io.BytesIO(data))
    names = [row[1] for row in workbook["R1"].iter_rows(min_row=3, max_row=7)]
    assert [cell.value for cell in names] == HOSTILE
    assert {cell.data_type for cell in names} == {"s"}
    citations = [row[5] for row in workbook.worksheets[1].iter_rows(min_row=2)]
    assert [cell.value for cell in citations] == HOSTILE
    assert {cell.data_type for cell in citations} == {"s"}
    assert workbook["R1"].cell(row=3, column=7).data_type == "n"  # amounts stay numbers
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert not any(b"<f>" in archive.read(name) for name in archive.namelist() if name.endswith(".xml"))
