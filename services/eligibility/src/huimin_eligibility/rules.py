"""The eligibility rules, in one place: pure functions of dates and categories (POLICY.md E1–E7).

Everything that decides *who is eligible when* for one person is here — the status look-up and its
certificate, the monthly report and the disclosure list call these functions. The roster and the head
counts, a million people at a time, run the same rules as SQL (rules_sql.py, which reads its constants
from the policy package, as these functions do); tests/test_fast_answers.py holds the SQL to these
functions as the reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from huimin_policy import codes
from huimin_policy.ages import age_group as age_group
from huimin_policy.ages import age_on as age_on
from huimin_policy.enums import CATEGORY_BY_VALUE as CATEGORY_BY_VALUE
from huimin_policy.enums import CATEGORY_NAMES_ZH as CATEGORY_NAMES_ZH
from huimin_policy.enums import CATEGORY_PRECEDENCE as CATEGORY_PRECEDENCE
from huimin_policy.enums import AgeGroup as AgeGroup
from huimin_policy.enums import Category as Category
from huimin_policy.scope import scope_for as scope_for

# The enumerations, the age group and which categories are subsidised where (E3/E4, read from the dated,
# cited packs) are the policy package's; they are named here because the rules below are written in them.

INSUTYPE_URBMI = codes.INSUTYPE  # 391 城镇居民基本医疗保险 (huimin_policy.codes, docs/codes.md)


@dataclass(frozen=True, slots=True)
class Period:
    """One certification as known at some time: a category valid from ``start`` to ``end`` inclusive."""

    category: Category
    start: date
    end: date | None  # None: open

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and (self.end is None or self.end >= first)


class ExclusionReason(StrEnum):
    not_certified = "not_certified"
    employee_insurance = "employee_insurance"  # E3, B§一(一)
    category_outside_scope = "category_outside_scope"  # E3 / E4


def year_start(year: int) -> date:
    return date(year, 1, 1)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def psn_type(group: AgeGroup) -> str:
    """National platform person type: 14 minor, 15 adult, 16 elderly resident (huimin_policy.codes)."""
    return codes.psn_type(group.value)


def employee_insured_on(since: date | None, day: date) -> bool:
    return since is not None and since <= day


def eligible_days(
    period: Period, employee_insurance_since: date | None, first: date, last: date
) -> tuple[date, date] | None:
    """The days of [first, last] on which ``period`` makes the person eligible (E3, B§一(一)): the days it
    covers before employee insurance begins (once begun it covers every later day); None if there are none.
    A certification that began after employee insurance started never had a subsidised day."""
    start = max(period.start, first)
    end = last if period.end is None else min(period.end, last)
    if employee_insurance_since is not None:
        if employee_insurance_since <= start:
            return None
        end = min(end, employee_insurance_since - timedelta(days=1))
    return (start, end) if start <= end else None


def eligible_periods(
    periods: Iterable[Period],
    employee_insurance_since: date | None,
    scope: frozenset[Category],
    first: date,
    last: date,
) -> list[Period]:
    """The in-scope certifications with at least one eligible day in [first, last]: the ones a status, a
    roster row or a head count may rest on (E3: one that began after employee insurance never does)."""
    return [
        p
        for p in periods
        if p.category in scope and eligible_days(p, employee_insurance_since, first, last) is not None
    ]


def first_eligible_day(
    periods: Iterable[Period],
    employee_insurance_since: date | None,
    scope: frozenset[Category],
    first: date,
    last: date,
) -> date | None:
    """The first day in [first, last] on which the person is certified in a subsidised category and not
    covered by employee insurance (E3); None if there is none."""
    days = [
        window[0]
        for p in periods
        if p.category in scope and (window := eligible_days(p, employee_insurance_since, first, last))
    ]
    return min(days, default=None)


def last_eligible_day(
    periods: Iterable[Period],
    employee_insurance_since: date | None,
    scope: frozenset[Category],
    first: date,
    last: date,
) -> date | None:
    """The last eligible day in [first, last] (E3 applied), or None."""
    days = [
        window[1]
        for p in periods
        if p.category in scope and (window := eligible_days(p, employee_insurance_since, first, last))
    ]
    return max(days, default=None)


def eligible_categories_on(
    periods: Iterable[Period], employee_insurance_since: date | None, scope: frozenset[Category], day: date
) -> frozenset[Category]:
    """The subsidised categories the person is certified in on ``day`` itself, none if employee insurance
    covers that day (E3). No year-keeping (E5) here."""
    if employee_insured_on(employee_insurance_since, day):
        return frozenset()
    return certified_categories_on(periods, scope, day)


@dataclass(frozen=True, slots=True)
class YearEligibility:
    """Whether a person is on the roster of cover year ``year`` (E5: any eligible day of the year counts)."""

    eligible: bool
    first_eligible_on: date | None
    certified_at_year_start: bool
    categories: tuple[Period, ...]  # in-scope certifications with an eligible day in the year (E3)


def eligibility_for_year(
    periods: Sequence[Period], employee_insurance_since: date | None, region_code: str, year: int
) -> YearEligibility:
    """E5 (B§四(三), last sentence): a person certified on any day of the year keeps the cover until the year
    ends, so the roster of year Y holds everyone eligible on at least one day of Y. E3 applied per day."""
    scope = scope_for(region_code)
    first, last = year_start(year), year_end(year)
    first_day = first_eligible_day(periods, employee_insurance_since, scope, first, last)
    in_year = tuple(
        sorted(
            eligible_periods(periods, employee_insurance_since, scope, first, last),
            key=lambda p: (p.start, p.category),
        )
    )
    return YearEligibility(
        eligible=first_day is not None,
        first_eligible_on=first_day,
        certified_at_year_start=first_day == first,
        categories=in_year if first_day is not None else (),
    )


@dataclass(frozen=True, slots=True)
class DayStatus:
    eligible: bool
    categories: tuple[Category, ...]  # the subsidised categories the cover rests on (E5 keeps exited ones)
    categories_on_date: tuple[Category, ...]  # every category certified on the day itself
    employee_insurance: bool
    excluded_reason: ExclusionReason | None
    age_group: AgeGroup


def status_on(
    periods: Sequence[Period],
    employee_insurance_since: date | None,
    region_code: str,
    birth_date: date,
    day: date,
) -> DayStatus:
    """Status on ``day``: subsidised if eligible on some day from 1 January of that year through ``day``
    (E5 keeps the year after an exit; E3 excludes employee insurance; a certification starting later
    in the year does not count yet)."""
    scope = scope_for(region_code)
    first = year_start(day.year)
    first_day = first_eligible_day(periods, employee_insurance_since, scope, first, day)
    on_date = tuple(sorted({p.category for p in periods if p.covers(day)}, key=CATEGORY_PRECEDENCE.index))
    if first_day is not None:
        held = {p.category for p in eligible_periods(periods, employee_insurance_since, scope, first, day)}
        categories = tuple(sorted(held, key=CATEGORY_PRECEDENCE.index))
        reason = None
    else:
        categories = ()
        ytd = [p for p in periods if p.overlaps(first, day)]
        if not ytd:
            reason = ExclusionReason.not_certified
        elif any(p.category in scope for p in ytd):
            reason = ExclusionReason.employee_insurance
        else:
            reason = ExclusionReason.category_outside_scope
    return DayStatus(
        eligible=first_day is not None,
        categories=categories,
        categories_on_date=on_date,
        employee_insurance=employee_insured_on(employee_insurance_since, day),
        excluded_reason=reason,
        age_group=age_group(birth_date, day.year),
    )


def primary_category(categories: Iterable[Category]) -> Category | None:
    """A person in two categories at once is counted once, under the first in CATEGORY_PRECEDENCE."""
    held = set(categories)
    return next((c for c in CATEGORY_PRECEDENCE if c in held), None)


def overlapping(existing: Iterable[Period], new: Period) -> list[Period]:
    """The certifications of the same category the new one would overlap (refused with 409, never merged)."""
    last = new.end or date.max
    return [p for p in existing if p.category == new.category and p.overlaps(new.start, last)]


class MonthlyChange(StrEnum):
    new = "new"  # 新增
    exited = "exited"  # 退出
    changed = "changed"  # 变更


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def certified_categories_on(
    periods: Iterable[Period], scope: frozenset[Category], day: date
) -> frozenset[Category]:
    return frozenset(p.category for p in periods if p.category in scope and p.covers(day))


def monthly_change(
    periods: Sequence[Period],
    employee_insurance_since: date | None,
    region_code: str,
    year: int,
    month: int,
    changed_in_month: bool,
) -> tuple[MonthlyChange, date, frozenset[Category]] | None:
    """E6 (B§四(三), B§五(三)): how a person appears on the monthly detail sheet, with the effective date
    and the categories shown. Judged on eligible days (certified in a subsidised category and not covered
    by employee insurance, E3), not on bare certifications:

    new: an eligible day in the month but not the day before it (effective: the first eligible day);
    exited: eligible the day before the month but not on its last day (effective: the last eligible day in
    the month, or its first day if there was none);
    changed: eligible before and after, but the categories differ or a record was corrected in the month.
    """
    scope = scope_for(region_code)
    first, last = month_bounds(year, month)
    before = eligible_categories_on(periods, employee_insurance_since, scope, first - timedelta(days=1))
    at_end = eligible_categories_on(periods, employee_insurance_since, scope, last)
    first_day = first_eligible_day(periods, employee_insurance_since, scope, first, last)
    if not before and first_day is not None:
        held = eligible_categories_on(periods, employee_insurance_since, scope, first_day)
        return MonthlyChange.new, first_day, held
    if before and not at_end:
        last_day = last_eligible_day(periods, employee_insurance_since, scope, first, last)
        return MonthlyChange.exited, last_day or first, before
    if before and at_end and (before != at_end or changed_in_month):
        starts = sorted(p.start for p in periods if p.category in scope and first <= p.start <= last)
        ends = sorted(
            p.end for p in periods if p.category in scope and p.end is not None and first <= p.end <= last
        )
        return MonthlyChange.changed, (starts or ends or [first])[0], at_end
    return None


def head_count_entry(
    periods: Sequence[Period],
    employee_insurance_since: date | None,
    region_code: str,
    birth_date: date,
    day: date,
    cover_year: int | None = None,
) -> tuple[Category, AgeGroup] | None:
    """Where a person counts in the head count on ``day`` (B§三 "10月底享受城市低保及边缘待遇", E7): certified in
    a subsidised category on that very day and not covered by employee insurance then (E3) — E5's
    year-keeping does not apply. Counted once, under the first category by precedence, in the age group of
    1 January of ``cover_year`` (default: the year of ``day``)."""
    held = eligible_categories_on(periods, employee_insurance_since, scope_for(region_code), day)
    category = primary_category(held)
    if category is None:
        return None
    return category, age_group(birth_date, day.year if cover_year is None else cover_year)


def mask_name(name: str) -> str:
    """R2 disclosure: the surname stays, the given name is masked (张三丰 → 张**)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)
