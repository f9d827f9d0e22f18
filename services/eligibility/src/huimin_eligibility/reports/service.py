"""The monthly detail sheet (E6, B§四(三), B§五(三)) and the disclosure list (R2, N§四)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_eligibility import rules
from huimin_eligibility.reports.repository import recorded_between
from huimin_eligibility.reports.schemas import Disclosure, DisclosureRow, MonthlyChangeRow, MonthlyChanges
from huimin_eligibility.roster.repository import candidates, monthly_candidates
from huimin_shared import idnumber, sheets

SHANGHAI = ZoneInfo("Asia/Shanghai")

CHANGE_ZH = {
    rules.MonthlyChange.new: "新增",
    rules.MonthlyChange.exited: "退出",
    rules.MonthlyChange.changed: "变更",
}
SEX_ZH = {"male": "男", "female": "女"}
AGE_ZH = {rules.AgeGroup.minor: "未成年人", rules.AgeGroup.adult: "成年人", rules.AgeGroup.elderly: "老年人"}
SHEET_HEADERS = (
    "变动类型",
    "生效日期",
    "公民身份号码",
    "姓名",
    "性别",
    "出生日期",
    "年龄段",
    "区县代码",
    "社区",
    "户号",
    "类别",
)


async def monthly_changes(
    session: AsyncSession, *, region: str, year: int, month: int, as_of: datetime
) -> MonthlyChanges:
    first, last = rules.month_bounds(year, month)
    start = datetime.combine(first, time(), SHANGHAI)
    end = datetime.combine(last + timedelta(days=1), time(), SHANGHAI)
    corrected = await recorded_between(session, region, start, end, as_of)
    items: list[MonthlyChangeRow] = []
    # Only the people whose status can change in the month are read (rules_sql.MONTH_MOVERS): a month of a
    # million residents is some 20,000 people, judged by the one rule, rules.monthly_change.
    async for candidate in monthly_candidates(
        session, region=region, year=year, month=month, as_of=as_of, recorded=corrected
    ):
        found = rules.monthly_change(
            candidate.periods,
            candidate.employee_insurance_since,
            candidate.region_code,
            year,
            month,
            candidate.id_number in corrected,
        )
        if found is None:
            continue
        change, effective, held = found
        items.append(
            MonthlyChangeRow(
                change=change,
                effective_on=effective,
                id_number=candidate.id_number,
                name=candidate.name,
                sex=idnumber.Sex(candidate.sex),
                birth_date=candidate.birth_date,
                age_group=rules.age_group(candidate.birth_date, year),
                region_code=candidate.region_code,
                community=candidate.community,
                household=candidate.household,
                categories=sorted(held, key=rules.CATEGORY_PRECEDENCE.index),
            )
        )
    items.sort(key=lambda row: (list(rules.MonthlyChange).index(row.change), row.region_code, row.id_number))
    return MonthlyChanges(region=region, month=f"{year:04d}-{month:02d}", as_of=as_of, items=items)


def _sheet_rows(report: MonthlyChanges) -> list[list[str]]:
    return [
        [
            CHANGE_ZH[row.change],
            row.effective_on.isoformat(),
            row.id_number,
            row.name,
            SEX_ZH[row.sex.value],
            row.birth_date.isoformat(),
            AGE_ZH[row.age_group],
            row.region_code,
            row.community,
            row.household,
            "、".join(rules.CATEGORY_NAMES_ZH[c] for c in row.categories),
        ]
        for row in report.items
    ]


def as_csv(report: MonthlyChanges) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Chinese headers correctly; formula-safe."""
    return sheets.csv_bytes(SHEET_HEADERS, _sheet_rows(report))


def as_xlsx(report: MonthlyChanges) -> bytes:
    """Formula-safe: names, communities and households are text cells, whatever they begin with."""
    return sheets.xlsx_bytes(f"资助对象明细表{report.month}", SHEET_HEADERS, _sheet_rows(report))


async def disclosure_rows(
    session: AsyncSession, *, region: str, community: str, year: int, as_of: datetime
) -> AsyncIterator[DisclosureRow]:
    """R2 (N§四): who in the community is subsidised in the year — masked name, masked ID, category; nothing
    more. Same roster rule as premium's (E3, E5); one row per person, under the primary category."""
    async for candidate in candidates(
        session, region=region, first=rules.year_start(year), last=rules.year_end(year), as_of=as_of
    ):
        if candidate.community != community:
            continue
        verdict = rules.eligibility_for_year(
            candidate.periods, candidate.employee_insurance_since, candidate.region_code, year
        )
        category = rules.primary_category(p.category for p in verdict.categories)
        if verdict.eligible and category is not None:
            yield DisclosureRow(
                name=rules.mask_name(candidate.name),
                id_number=idnumber.mask(candidate.id_number),
                category=category,
            )


async def disclosure(
    session: AsyncSession, *, region: str, community: str, year: int, as_of: datetime
) -> Disclosure:
    items = [
        row
        async for row in disclosure_rows(session, region=region, community=community, year=year, as_of=as_of)
    ]
    return Disclosure(region=region, community=community, year=year, items=items)


DISCLOSURE_HEADERS = ("姓名", "公民身份号码", "类别")


async def disclosure_sheet_rows(
    session: AsyncSession, *, region: str, community: str, year: int, as_of: datetime
) -> AsyncIterator[tuple[str, str, str]]:
    async for row in disclosure_rows(session, region=region, community=community, year=year, as_of=as_of):
        yield (row.name, row.id_number, rules.CATEGORY_NAMES_ZH[row.category])


def month_of(text: str) -> tuple[int, int]:
    parsed = date.fromisoformat(text + "-01")
    return parsed.year, parsed.month
