"""The pure rules (rules.py), hammered with hypothesis: E3, E5, age group, psn_type, overlaps, masking."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from huimin_eligibility import rules
from huimin_eligibility.rules import Period
from huimin_policy.enums import AgeGroup, Category

BENXI = "210502"
CHENGDU = "510104"
dates = st.dates(min_value=date(2005, 1, 1), max_value=date(2013, 12, 31))
categories = st.sampled_from(list(Category))


@st.composite
def periods(draw) -> Period:  # type: ignore[no-untyped-def]
    start = draw(dates)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=date(2014, 12, 31))))
    return Period(draw(categories), start, end)


def test_age_group_on_1_january_at_the_edges() -> None:
    """POLICY default: age on 1 January of the cover year, minor < 18, elderly >= 60."""
    assert rules.age_group(date(1992, 1, 1), 2010) is AgeGroup.adult  # 18 on 2010-01-01
    assert rules.age_group(date(1992, 1, 2), 2010) is AgeGroup.minor  # 17 on 2010-01-01
    assert rules.age_group(date(1950, 1, 1), 2010) is AgeGroup.elderly  # 60
    assert rules.age_group(date(1950, 1, 2), 2010) is AgeGroup.adult  # 59
    assert [rules.psn_type(g) for g in AgeGroup] == ["14", "15", "16"]


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2009, 12, 31)), st.integers(2007, 2015))
def test_age_group_agrees_with_age_on_the_reference_date(born: date, year: int) -> None:
    age = rules.age_on(born, date(year, 1, 1))
    group = rules.age_group(born, year)
    assert (group is AgeGroup.minor) == (age < 18)
    assert (group is AgeGroup.elderly) == (age >= 60)


def test_benxi_subsidises_dibao_and_marginal_only_and_the_nation_its_three() -> None:
    """E3 (B§一(一)) and E4 (N§一)."""
    assert rules.scope_for("210502") == {Category.dibao, Category.marginal}
    assert rules.scope_for("210500") == {Category.dibao, Category.marginal}
    assert rules.scope_for(CHENGDU) == {
        Category.dibao,
        Category.severely_disabled,
        Category.low_income_elderly,
    }


@given(st.lists(periods(), max_size=4), st.one_of(st.none(), dates), st.integers(2006, 2013))
def test_roster_year_means_eligible_on_some_day_of_the_year(
    certs: list[Period], employee_since: date | None, year: int
) -> None:
    """E5 + E3: on the roster of year Y exactly when some day of Y has an in-scope certification and no
    employee insurance yet; first_eligible_on is the first such day (checked day by day)."""
    verdict = rules.eligibility_for_year(certs, employee_since, BENXI, year)
    scope = rules.scope_for(BENXI)
    day, eligible_days = date(year, 1, 1), []
    while day.year == year:
        if any(p.category in scope and p.covers(day) for p in certs) and not (
            employee_since is not None and employee_since <= day
        ):
            eligible_days.append(day)
            break
        day += timedelta(days=1)
    assert verdict.eligible == bool(eligible_days)
    assert verdict.first_eligible_on == (eligible_days[0] if eligible_days else None)
    assert verdict.certified_at_year_start == (eligible_days[:1] == [date(year, 1, 1)])


@given(st.lists(periods(), max_size=4), st.one_of(st.none(), dates), dates)
def test_status_on_a_day_agrees_with_the_roster_of_its_year(
    certs: list[Period], employee_since: date | None, day: date
) -> None:
    """E5: eligible on D ⇔ first eligible day of D's year is on or before D; so eligible on 31 December ⇔ on
    the roster of that year."""
    status = rules.status_on(certs, employee_since, BENXI, date(1980, 5, 5), day)
    verdict = rules.eligibility_for_year(certs, employee_since, BENXI, day.year)
    assert status.eligible == (verdict.first_eligible_on is not None and verdict.first_eligible_on <= day)
    assert (status.excluded_reason is None) == status.eligible
    if day.month == 12 and day.day == 31:
        assert status.eligible == verdict.eligible


def test_exit_keeps_the_year_and_not_the_next() -> None:
    """E5 (B§四(三)): dibao until 2010-04-30 → eligible on 2010-12-31, not on 2011-01-01."""
    certs = [Period(Category.dibao, date(2009, 1, 1), date(2010, 4, 30))]
    assert rules.status_on(certs, None, BENXI, date(1980, 1, 1), date(2010, 12, 31)).eligible
    assert not rules.status_on(certs, None, BENXI, date(1980, 1, 1), date(2011, 1, 1)).eligible


def test_employee_insurance_before_the_first_eligible_day_excludes_after_it_does_not() -> None:
    """E3: insured from 2010-01-01 → never eligible in 2010; insured from 2010-06-01 after a certification
    from 2009 → eligible on 1 January, keeps the year."""
    certs = [Period(Category.marginal, date(2009, 1, 1), None)]
    assert not rules.eligibility_for_year(certs, date(2010, 1, 1), BENXI, 2010).eligible
    later = rules.eligibility_for_year(certs, date(2010, 6, 1), BENXI, 2010)
    assert (later.eligible, later.certified_at_year_start) == (True, True)
    assert not rules.eligibility_for_year(certs, date(2010, 6, 1), BENXI, 2011).eligible


@given(st.lists(periods(), max_size=5), periods())
def test_overlap_finds_exactly_the_same_category_periods_sharing_a_day(
    existing: list[Period], new: Period
) -> None:
    found = rules.overlapping(existing, new)
    for p in existing:
        shares_a_day = (
            p.category == new.category
            and p.start <= (new.end or date.max)
            and (p.end is None or p.end >= new.start)
        )
        assert (p in found) == shares_a_day


def test_a_person_in_two_categories_counts_once_under_dibao() -> None:
    assert rules.primary_category([Category.marginal, Category.dibao]) is Category.dibao
    assert rules.primary_category([]) is None


def test_monthly_change_classification() -> None:
    """E6: new / exited / changed within March 2010."""
    dibao = frozenset({Category.dibao})
    joined = [Period(Category.dibao, date(2010, 3, 10), None)]
    assert rules.monthly_change(joined, None, BENXI, 2010, 3, False) == (
        rules.MonthlyChange.new,
        date(2010, 3, 10),
        dibao,
    )
    left = [Period(Category.dibao, date(2009, 3, 10), date(2010, 3, 20))]
    assert rules.monthly_change(left, None, BENXI, 2010, 3, False) == (
        rules.MonthlyChange.exited,
        date(2010, 3, 20),
        dibao,
    )
    steady = [Period(Category.dibao, date(2009, 3, 10), None)]
    assert rules.monthly_change(steady, None, BENXI, 2010, 3, False) is None
    assert rules.monthly_change(steady, None, BENXI, 2010, 3, True) == (
        rules.MonthlyChange.changed,
        date(2010, 3, 1),
        dibao,
    )


def test_monthly_change_follows_eligible_days_not_bare_certifications() -> None:
    """E6 with E3 (B§四(三), B§一(一)): the detail sheet lists people who became or stopped being eligible.
    Employee insurance since 2005 and dibao from 2010-04-01: never eligible, so not "new" in April 2010.
    Dibao since 2009 and employee insurance from 2010-04-16: "exited" in April, last eligible day 04-15.
    Employee insurance from 2010-05-01 and dibao from 2010-04-20: "new" in April on 04-20, "exited" in May
    with no eligible day in May (effective 05-01)."""
    insured = [Period(Category.dibao, date(2010, 4, 1), None)]
    assert rules.monthly_change(insured, date(2005, 1, 1), BENXI, 2010, 4, False) is None
    steady = [Period(Category.dibao, date(2009, 3, 10), None)]
    assert rules.monthly_change(steady, date(2010, 4, 16), BENXI, 2010, 4, False) == (
        rules.MonthlyChange.exited,
        date(2010, 4, 15),
        frozenset({Category.dibao}),
    )
    assert rules.monthly_change(steady, date(2010, 4, 16), BENXI, 2010, 5, False) is None
    late = [Period(Category.dibao, date(2010, 4, 20), None)]
    assert rules.monthly_change(late, date(2010, 5, 1), BENXI, 2010, 4, False) == (
        rules.MonthlyChange.new,
        date(2010, 4, 20),
        frozenset({Category.dibao}),
    )
    assert rules.monthly_change(late, date(2010, 5, 1), BENXI, 2010, 5, False) == (
        rules.MonthlyChange.exited,
        date(2010, 5, 1),
        frozenset({Category.dibao}),
    )


def test_categories_rest_only_on_certifications_with_an_eligible_day() -> None:
    """E3 (B§一(一)): marginal 2010-01-01..02-28, employee insurance from 2010-03-01, dibao from 2010-06-01.
    Status on 2010-08-01 rests on marginal only (E5 keeps it); dibao never had a subsidised day, so the roster
    of 2010 lists marginal only and the head count on 2010-08-01 does not count the person at all."""
    certs = [
        Period(Category.marginal, date(2010, 1, 1), date(2010, 2, 28)),
        Period(Category.dibao, date(2010, 6, 1), None),
    ]
    since = date(2010, 3, 1)
    day = rules.status_on(certs, since, BENXI, date(1980, 1, 1), date(2010, 8, 1))
    assert (day.eligible, day.categories) == (True, (Category.marginal,))
    year = rules.eligibility_for_year(certs, since, BENXI, 2010)
    assert year.categories == (certs[0],)
    assert rules.primary_category(p.category for p in year.categories) is Category.marginal
    assert rules.head_count_entry(certs, since, BENXI, date(1980, 1, 1), date(2010, 8, 1)) is None
    assert rules.head_count_entry(certs, since, BENXI, date(1980, 1, 1), date(2010, 2, 28)) == (
        Category.marginal,
        AgeGroup.adult,
    )
    assert rules.head_count_entry(certs, since, BENXI, date(1980, 1, 1), date(2010, 3, 1)) is None


def test_head_count_is_the_day_itself_with_the_cover_years_age_group() -> None:
    """B§三 / E7: "10月底享受城市低保及边缘待遇" — certified on 2009-10-31 itself; E5 does not keep a July exit.
    Age group on 1 January of cover_year: born 1992-01-01 is a minor in 2009, an adult in 2010."""
    left = [Period(Category.dibao, date(2008, 3, 1), date(2009, 7, 15))]
    assert rules.head_count_entry(left, None, BENXI, date(1980, 1, 1), date(2009, 10, 31)) is None
    assert rules.status_on(left, None, BENXI, date(1980, 1, 1), date(2009, 10, 31)).eligible  # E5 for status
    held = [Period(Category.dibao, date(2009, 1, 1), None)]
    assert rules.head_count_entry(held, None, BENXI, date(1992, 1, 1), date(2009, 10, 31)) == (
        Category.dibao,
        AgeGroup.minor,
    )
    assert rules.head_count_entry(held, None, BENXI, date(1992, 1, 1), date(2009, 10, 31), 2010) == (
        Category.dibao,
        AgeGroup.adult,
    )


@given(st.text(alphabet="张王李欧阳三丰四五", min_size=1, max_size=4))
def test_masked_name_keeps_only_the_first_character(name: str) -> None:
    """R2: no more personal data than needed."""
    masked = rules.mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0]
    assert set(masked[1:]) <= {"*"}


@settings(max_examples=1000)
@given(
    st.data(), st.sampled_from([BENXI, CHENGDU]), st.integers(2006, 2013), st.integers(1, 12), st.booleans()
)
def test_a_monthly_change_needs_a_start_an_end_insurance_or_a_record_in_the_month(
    data: st.DataObject, region: str, year: int, month: int, recorded_in_month: bool
) -> None:
    """E6 (B§四(三), B§五(三)): the fast monthly report (rules_sql.MONTH_MOVERS) judges only people with a
    certification starting in the month, one ending on the day before it or in it but not on its last day,
    employee insurance starting in the month, or a record made in the month. Anyone else is on no sheet:
    rules.monthly_change gives None for them, whatever their periods (days drawn around the month's edges)."""
    first, last = rules.month_bounds(year, month)
    edges = [first + timedelta(days=n) for n in (-2, -1, 0, 1, 14)] + [
        last + timedelta(days=n) for n in (-1, 0, 1)
    ]
    days = st.one_of(st.sampled_from(edges), st.sampled_from(edges), st.sampled_from(edges), dates)
    certs = []
    for _ in range(data.draw(st.integers(0, 3))):
        start = data.draw(days)
        end = data.draw(st.one_of(st.none(), days.filter(lambda day, start=start: day >= start)))
        certs.append(Period(data.draw(categories), start, end))
    employee_since = data.draw(st.one_of(st.none(), days))
    moved = (
        recorded_in_month
        or any(first <= p.start <= last for p in certs)
        or any(p.end is not None and first - timedelta(days=1) <= p.end < last for p in certs)
        or (employee_since is not None and first <= employee_since <= last)
    )
    if not moved:
        assert rules.monthly_change(certs, employee_since, region, year, month, recorded_in_month) is None


def test_monthly_change_at_the_edges_of_the_month() -> None:
    """E6: dibao until the day before March → exited in March, effective 1 March; until 31 March → not in
    March (eligible on its last day), exited in April effective 1 April; employee insurance from 15 March
    → exited in March on the 14th; a second category from 10 March → changed on the 10th."""
    until_feb = [Period(Category.dibao, date(2009, 1, 1), date(2010, 2, 28))]
    assert rules.monthly_change(until_feb, None, BENXI, 2010, 3, False) == (
        rules.MonthlyChange.exited,
        date(2010, 3, 1),
        frozenset({Category.dibao}),
    )
    until_march = [Period(Category.dibao, date(2009, 1, 1), date(2010, 3, 31))]
    assert rules.monthly_change(until_march, None, BENXI, 2010, 3, False) is None
    assert rules.monthly_change(until_march, None, BENXI, 2010, 4, False) == (
        rules.MonthlyChange.exited,
        date(2010, 4, 1),
        frozenset({Category.dibao}),
    )
    open_dibao = [Period(Category.dibao, date(2009, 1, 1), None)]
    assert rules.monthly_change(open_dibao, date(2010, 3, 15), BENXI, 2010, 3, False) == (
        rules.MonthlyChange.exited,
        date(2010, 3, 14),
        frozenset({Category.dibao}),
    )
    two = [*open_dibao, Period(Category.marginal, date(2010, 3, 10), None)]
    assert rules.monthly_change(two, None, BENXI, 2010, 3, False) == (
        rules.MonthlyChange.changed,
        date(2010, 3, 10),
        frozenset({Category.dibao, Category.marginal}),
    )
