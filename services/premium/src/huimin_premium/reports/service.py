"""R1 (N§一): for a province or city and year, residents in hardship enrolled (minors / adults), the
subsidy standard per group and the local fiscal subsidy in place (from settlement) — JSON or XLSX."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import AgeGroup, Category
from huimin_premium import rules
from huimin_premium.packs import service as packs
from huimin_premium.peers import SettlementClient
from huimin_premium.reports.repository import ReportRepository
from huimin_premium.reports.schemas import Amounts, CityReport, Enrolled, R1Report, Standard
from huimin_shared import areas
from huimin_shared.errors import Unprocessable
from huimin_shared.money import ZERO, parse_yuan
from huimin_shared.sheets import append_row

# A representative birth date per age group on 1 January of the year, for the per-group standards.
_AGE_ON_JANUARY_FIRST = {AgeGroup.minor: 10, AgeGroup.adult: 40, AgeGroup.elderly: 70}


def _amounts(central: Decimal, province: Decimal, city: Decimal, district: Decimal) -> Amounts:
    return Amounts(
        central=central,
        province=province,
        city=city,
        district_or_county=district,
        total=central + province + city + district,
    )


def _sum(items: list[Amounts]) -> Amounts:
    return _amounts(
        sum((a.central for a in items), ZERO),
        sum((a.province for a in items), ZERO),
        sum((a.city for a in items), ZERO),
        sum((a.district_or_county for a in items), ZERO),
    )


def _local(amounts: Amounts) -> Decimal:
    return amounts.province + amounts.city + amounts.district_or_county


async def r1(session: AsyncSession, settlement: SettlementClient, region: str, year: int) -> R1Report:
    level = areas.level_of(region)
    if level not in (areas.AreaLevel.province, areas.AreaLevel.city):
        raise Unprocessable("R1 is reported for a province or a city (N§一)")
    repository = ReportRepository(session)
    counts = await repository.enrolment(region, year)
    assessed_rows = {row.city: row for row in await repository.assessed(region, year)}
    cities = sorted(
        {row.city for row in counts}
        | set(assessed_rows)
        | ({region} if level is areas.AreaLevel.city else set())
    )
    reports: list[CityReport] = []
    for city in cities:
        by_group = {AgeGroup(row.age_group): int(row.residents) for row in counts if row.city == city}
        minors = by_group.get(AgeGroup.minor, 0)
        elderly = by_group.get(AgeGroup.elderly, 0)
        adults = by_group.get(AgeGroup.adult, 0) + elderly
        params = await packs.parameters(session, city, year)
        standards = []
        for category in sorted(params.categories, key=lambda c: c.value):
            for group in AgeGroup:
                born = date(year - _AGE_ON_JANUARY_FIRST[group], 1, 1)
                outcome = rules.calculate(born, city, [Category(category)], params)
                standards.append(
                    Standard(
                        category=category,
                        age_group=group,
                        individual_contribution=outcome.individual_contribution.value,
                        assistance_subsidy=outcome.assistance_subsidy.value,
                        citation=outcome.citation,
                    )
                )
        row = assessed_rows.get(city)
        assessed = (
            _amounts(row.central, row.province, row.city_amount, row.district_or_county)
            if row is not None
            else _amounts(ZERO, ZERO, ZERO, ZERO)
        )
        fiscal = await settlement.fiscal_subsidy(region=city, year=year)
        moved = _amounts(
            *(
                parse_yuan(getattr(fiscal.moved, p))
                for p in ("central", "province", "city", "district_or_county")
            )
        )
        reports.append(
            CityReport(
                city=city,
                name=areas.name_of(city),
                pack=params.pack,
                enrolled=Enrolled(
                    minors=minors, adults=adults, of_which_elderly=elderly, total=minors + adults
                ),
                standards=standards,
                assessed=assessed,
                local_fiscal_subsidy_assessed=_local(assessed),
                moved=moved,
                local_fiscal_subsidy_moved=_local(moved),
            )
        )
    return R1Report(
        region=region,
        year=year,
        generated_at=datetime.now(UTC),
        cities=reports,
        enrolled=Enrolled(
            minors=sum(c.enrolled.minors for c in reports),
            adults=sum(c.enrolled.adults for c in reports),
            of_which_elderly=sum(c.enrolled.of_which_elderly for c in reports),
            total=sum(c.enrolled.total for c in reports),
        ),
        assessed=_sum([c.assessed for c in reports]),
        moved=_sum([c.moved for c in reports]),
    )


def to_xlsx(report: R1Report) -> bytes:
    """The same figures as the JSON, as a workbook (amounts as numbers with two decimals, text as text)."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # a new workbook has one sheet
    sheet.title = "R1"
    append_row(sheet, [f"困难居民参加城镇居民基本医疗保险情况 {report.region} {report.year}"])
    append_row(
        sheet,
        [
            "城市 city",
            "名称",
            "未成年人 minors",
            "成年人 adults",
            "其中60岁以上 elderly",
            "合计 total",
            "核定资助 assessed",
            "核定地方财政补助 local assessed",
            "地方财政补助到位 local moved",
            "中央到位 central moved",
        ],
    )
    for city in report.cities:
        append_row(
            sheet,
            [
                city.city,
                city.name,
                city.enrolled.minors,
                city.enrolled.adults,
                city.enrolled.of_which_elderly,
                city.enrolled.total,
                city.assessed.total,
                city.local_fiscal_subsidy_assessed,
                city.local_fiscal_subsidy_moved,
                city.moved.central,
            ],
        )
    append_row(
        sheet,
        [
            "合计",
            "",
            report.enrolled.minors,
            report.enrolled.adults,
            report.enrolled.of_which_elderly,
            report.enrolled.total,
            report.assessed.total,
            _local(report.assessed),
            _local(report.moved),
            report.moved.central,
        ],
    )
    for row in sheet.iter_rows(min_row=3, min_col=7, max_col=10):
        for cell in row:
            cell.number_format = "0.00"
    standards = workbook.create_sheet("补助标准 standards")
    append_row(
        standards, ["城市 city", "类别 category", "年龄组 age group", "个人缴费", "补助标准", "依据 citation"]
    )
    for city in report.cities:
        for standard in city.standards:
            append_row(
                standards,
                [
                    city.city,
                    standard.category.value,
                    standard.age_group.value,
                    standard.individual_contribution,
                    standard.assistance_subsidy,
                    standard.citation,
                ],
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
