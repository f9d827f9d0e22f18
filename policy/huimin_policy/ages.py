"""The age group: how old a resident counts as for a cover year (P1, N§二 学生和儿童, N§一 60周岁以上).

The notices do not say on which day age is taken; the suite fixes it on 1 January of the cover year
(POLICY.md "What the notices leave open"), so a person is in one age group for the whole year.
"""

from __future__ import annotations

from datetime import date

from huimin_policy.enums import AgeGroup

MINOR_BELOW = 18  # 学生和儿童: under 18 on 1 January
ELDERLY_FROM = 60  # 60周岁以上 (N§一, N§二)


def reference_date(year: int) -> date:
    """The day a cover year's parameters and age groups are read: 1 January (P1 default)."""
    return date(year, 1, 1)


def age_on(birth_date: date, day: date) -> int:
    """Completed years of age on ``day`` (a birthday counts on the day itself)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_group(birth_date: date, year: int) -> AgeGroup:
    """P1: age on 1 January of the cover year; minor under 18, elderly 60 and over (N§二)."""
    age = age_on(birth_date, reference_date(year))
    if age < MINOR_BELOW:
        return AgeGroup.minor
    if age >= ELDERLY_FROM:
        return AgeGroup.elderly
    return AgeGroup.adult
