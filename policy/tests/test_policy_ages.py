"""The age group (P1; N§二 学生和儿童; N§一 60周岁以上): fixed on 1 January of the cover year."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from huimin_policy.ages import ELDERLY_FROM, MINOR_BELOW, age_group, age_on, reference_date
from huimin_policy.enums import AgeGroup

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
years = st.integers(min_value=1950, max_value=2040)


def test_the_age_group_turns_on_the_birthday_falling_on_1_january() -> None:
    """P1 default: 18 on 1 January 2010 is adult, 17 is minor; 60 is elderly, 59 adult."""
    assert age_group(date(1992, 1, 1), 2010) is AgeGroup.adult
    assert age_group(date(1992, 1, 2), 2010) is AgeGroup.minor
    assert age_group(date(1950, 1, 1), 2010) is AgeGroup.elderly
    assert age_group(date(1950, 1, 2), 2010) is AgeGroup.adult


def test_a_leap_day_birthday_counts_on_1_march_in_a_common_year() -> None:
    """Completed years: born 29 February 2000, 17 on 28 February 2018, 18 on 1 March."""
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18


@given(births, years)
def test_the_age_group_is_the_age_on_1_january_against_the_two_limits(born: date, year: int) -> None:
    """P1: minor under 18, elderly from 60, adult between — on 1 January of the cover year."""
    age = age_on(born, reference_date(year))
    expected = (
        AgeGroup.minor if age < MINOR_BELOW else AgeGroup.elderly if age >= ELDERLY_FROM else AgeGroup.adult
    )
    assert age_group(born, year) is expected


@given(births, years)
def test_the_age_group_matches_the_birth_date_bounds_the_sql_mirror_uses(born: date, year: int) -> None:
    """Aged n or more on 1 January of Y ⇔ born on or before 1 January of Y − n (eligibility's rules_sql)."""
    if born > date(year - MINOR_BELOW, 1, 1):
        expected = AgeGroup.minor
    elif born <= date(year - ELDERLY_FROM, 1, 1):
        expected = AgeGroup.elderly
    else:
        expected = AgeGroup.adult
    assert age_group(born, year) is expected


@given(births, years, st.integers(min_value=1, max_value=400))
def test_a_later_birth_never_gives_an_older_group(born: date, year: int, days: int) -> None:
    """The groups are ordered by age: moving the birth date later never moves a person up a group."""
    order = [AgeGroup.minor, AgeGroup.adult, AgeGroup.elderly]
    later = born + timedelta(days=days)
    assert order.index(age_group(later, year)) <= order.index(age_group(born, year))
