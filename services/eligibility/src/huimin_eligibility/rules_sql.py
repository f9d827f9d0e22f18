"""The eligibility rules as SQL: the one home of the E3/E4 scope, the E3 employee-insurance exclusion,
E5 year-keeping and the age group on 1 January for the set-at-a-time answers — the roster and the head
counts — each one statement, so a million residents never pass through Python one at a time; and which
people a month can have changed (MONTH_MOVERS), so the monthly report judges only those with rules.py.

The policy *data* (which categories each city's pack and the national pack subsidise, precedence, age
limits) is read from the policy package (huimin_policy: the dated, cited packs premium prices with), so it
has one home. The *logic* is also in rules.py as pure functions: the reference that ``tests/test_fast_answers.py``
holds these statements to (same roster, same counts, on thousands of synthetic residents with every edge
case), and what the per-person paths (status look-up, monthly reports, disclosure) still call.

Parameters of every statement: $1 as_of (timestamptz), $2 region LIKE pattern, $3 first day and $4 last
day of the window asked about (date: the cover year for the roster, the day itself for head counts), $5
the ID number to start after ('' for all), $6 a row limit (NULL for all); HEAD_COUNTS also takes $7, the
cover year whose 1 January fixes the age group.
"""

from __future__ import annotations

from collections.abc import Iterable

from huimin_policy import codes
from huimin_policy.ages import ELDERLY_FROM, MINOR_BELOW
from huimin_policy.enums import CATEGORY_PRECEDENCE, AgeGroup, Category
from huimin_policy.scope import shipped_scopes

FIRST, LAST, AFTER, LIMIT = "$3::date", "$4::date", "$5::text", "$6::bigint"
YEAR = "$7::int"  # the cover year whose 1 January fixes the age group (head counts only)


def _categories(categories: Iterable[Category]) -> str:
    """A SQL list of category identifiers (enum values: safe to inline), in precedence order."""
    return ", ".join(f"'{c.value}'" for c in CATEGORY_PRECEDENCE if c in set(categories))


def in_scope(region: str, category: str) -> str:
    """E3 (B§一(一)): in a city with its own pack (Benxi, area codes 2105xx) only the categories that pack
    subsidises (dibao and marginal). E4 (N§一): elsewhere the national pack's (dibao, severely disabled and
    low-income elderly people). The sets are huimin_policy.scope's, read from the packs; the area-code
    shape is areas.is_area_code's."""
    scopes = shipped_scopes()
    cities = "".join(
        f"WHEN left({region}, 4) = '{prefix}' THEN {category} IN ({_categories(categories)}) "
        for prefix, categories in sorted(scopes.by_city_prefix.items())
        if prefix.isdigit()  # area codes only: safe to inline
    )
    national = f"{category} IN ({_categories(scopes.national)})"
    if not cities:
        return f"({national})"
    return f"(CASE WHEN {region} !~ '^[1-9][0-9]{{5}}$' THEN {national} {cities}ELSE {national} END)"


# The day a certification overlapping the window would make the person eligible: its start, or the first
# day of the window if it began earlier.
CANDIDATE_DAY = f"greatest(valid_from, {FIRST})"

# E3 (B§一(一)): a day is eligible when an in-scope certification covers it and employee insurance has not
# begun; once begun it covers every later day. So a certification overlapping the window has an eligible
# day there exactly when employee insurance began after its candidate day — and only such certifications
# are kept (rules.eligible_periods): one that began after employee insurance never had a subsidised day,
# so no status, roster row or head count rests on it.
HAS_ELIGIBLE_DAY = (
    f"(v.employee_insurance_since IS NULL OR v.employee_insurance_since > greatest(c.valid_from, {FIRST}))"
)

# E5 (B§四(三), last sentence): a person eligible on any day of a cover year keeps the cover until the year
# ends, so the roster of year Y is everyone with a kept certification in Y, and their first eligible day is
# the earliest candidate day of those (rules.first_eligible_day).
EARLIEST_CANDIDATE_DAY = f"min({CANDIDATE_DAY})"

# Age group on 1 January of the year (POLICY "What the notices leave open"): minor under 18, elderly
# from 60. Aged n or more on 1 January of Y ⇔ born on or before 1 January of Y − n.
AGE_GROUP = (
    f"(CASE WHEN birth_date > make_date({YEAR} - {MINOR_BELOW}, 1, 1) THEN '{AgeGroup.minor.value}' "
    f"WHEN birth_date <= make_date({YEAR} - {ELDERLY_FROM}, 1, 1) THEN '{AgeGroup.elderly.value}' ELSE '{AgeGroup.adult.value}' END)"
)

# Platform codes (huimin_policy.codes, docs/codes.md) rendered at read time, none stored: the roster's psn_type
# is the age group on 1 January of its cover year ($3 is that day); the medical-assistance type is the
# category's.
ROSTER_PSN_TYPE = codes.sql_case(
    AGE_GROUP.replace(YEAR, f"extract(year FROM {FIRST})::int"), codes.PSN_TYPE_BY_AGE_GROUP
)
ASSISTANCE_PSN_TYPE = codes.sql_case("category", codes.ASSISTANCE_PSN_TYPE_BY_CATEGORY)

# A person in two categories at once is counted once, under the first of rules.CATEGORY_PRECEDENCE
# (dibao, severely_disabled, low_income_elderly, marginal — the more generous subsidy first, B§一(二)).
PRECEDENCE = (
    "(CASE category "
    + " ".join(f"WHEN '{c.value}' THEN {rank}" for rank, c in enumerate(CATEGORY_PRECEDENCE, start=1))
    + " END)"
)
CATEGORY_BY_PRECEDENCE = f"(ARRAY[{_categories(CATEGORY_PRECEDENCE)}])"

# E2, bitemporal: each person's version and certifications as known at $1 (recorded_at <= T <
# superseded_at), living under the region pattern $2, with the in-scope certifications (E3/E4) that
# have an eligible day in the window (E3). A whole roster hash-joins three sequential scans (about 2 s for a million people);
# a keyset page walks the ID-number indexes from $5 and stops after $6 rows.
KNOWN_PERIODS = f"""
SELECT r.id_number, r.birth_date, r.sex, v.region_code, v.employee_insurance_since,
       c.category, c.valid_from, c.valid_to
FROM residents AS r
JOIN resident_versions AS v ON v.id_number = r.id_number
JOIN certifications AS c ON c.id_number = r.id_number
WHERE v.recorded_at <= $1 AND (v.superseded_at IS NULL OR v.superseded_at > $1)
  AND c.recorded_at <= $1 AND (c.superseded_at IS NULL OR c.superseded_at > $1)
  AND v.region_code LIKE $2
  AND c.valid_from <= {LAST} AND (c.valid_to IS NULL OR c.valid_to >= {FIRST})
  AND r.id_number > {AFTER} AND v.id_number > {AFTER} AND c.id_number > {AFTER}
  AND {in_scope("v.region_code", "c.category")}
  AND {HAS_ELIGIBLE_DAY}
"""


# The roster of a cover year (window = the year), one NDJSON line per eligible person in ID-number order,
# rendered by PostgreSQL: `categories` are the in-scope certifications with an eligible day in the year,
# ordered by start then category. Every value is digits, a date, a known identifier or a boolean.
# With ``first_eligible_after``, only the people whose first eligible day in the year comes after $7 (a
# date): with 1 January, those not certified at the start of the year — B§四(三)'s new entrants — so
# premium's new-entrant assessment reads a few percent of the roster instead of all of it.
# With ``id_numbers``, only the residents named in the next parameter (a text[]): premium's refund assessment
# reads the people on its paid list (B§四(四)), not the whole roster. Parameters after $6 are numbered in
# that order ($7 the date, then the list).
def roster(*, first_eligible_after: bool = False, id_numbers: bool = False) -> str:
    extra = 7
    having = ""
    if first_eligible_after:
        having = f"HAVING {EARLIEST_CANDIDATE_DAY} > ${extra}::date"
        extra += 1
    known = KNOWN_PERIODS
    if id_numbers:
        named = f"${extra}::text[]"
        known += f"  AND r.id_number = ANY ({named}) AND v.id_number = ANY ({named}) AND c.id_number = ANY ({named})\n"
    return f"""
SELECT json_build_object(
           'id_number', id_number,
           'birth_date', birth_date,
           'sex', sex,
           'region_code', region_code,
           'categories', json_agg(
               json_build_object('category', category, 'valid_from', valid_from, 'valid_to', valid_to,
                                 'assistance_psn_type', {ASSISTANCE_PSN_TYPE})
               ORDER BY valid_from, category COLLATE "C"),
           'first_eligible_on', {EARLIEST_CANDIDATE_DAY},
           'certified_at_year_start', {EARLIEST_CANDIDATE_DAY} = {FIRST},
           'insutype', '{codes.INSUTYPE}',
           'psn_type', {ROSTER_PSN_TYPE}
       )::text
FROM ({known}) AS known
GROUP BY id_number, birth_date, sex, region_code
{having}
ORDER BY id_number
LIMIT {LIMIT}
"""


ROSTER = roster()

# Head counts on a day D (window = D alone, so $3 = $4 = D): B§三 counts the people "10月底享受城市低保及边缘待遇",
# certified in a subsidised category on D itself and not covered by employee insurance on D (E3); E5's
# year-keeping does not apply (rules.head_count_entry). Each person once, under the first category by
# precedence, in the age group of 1 January of the cover year $7.
HEAD_COUNTS = f"""
SELECT region_code, {CATEGORY_BY_PRECEDENCE}[rank] AS category, age_group, count(*) AS count
FROM (
    SELECT region_code, {AGE_GROUP} AS age_group, min({PRECEDENCE}) AS rank
    FROM ({KNOWN_PERIODS}) AS known
    GROUP BY id_number, region_code, birth_date
) AS people
GROUP BY region_code, rank, age_group
LIMIT {LIMIT}
"""


# E6 (B§四(三), B§五(三)), the monthly detail sheet: rules.monthly_change judges a person on three days —
# the day before the month (D0), the month's days and its last day (L) — by their eligible days (an in-scope
# certification covers the day and employee insurance has not begun, E3). Someone can be on the sheet of
# month [F, L] only if one of these happened, so only they are read and judged (the rule stays in rules.py):
#   new      eligible on a day d of the month, not on D0: a certification covering d but not D0 began in
#            [F, d] (one covering D0 too would make D0 eligible, as employee insurance after d is after D0);
#   exited   eligible on D0, not on L: the certification covering D0 ended in [D0, L − 1], or employee
#            insurance began in [F, L];
#   changed  eligible on D0 and on L (so no employee insurance up to L) with other categories: one began in
#            [F, L] or ended in [D0, L − 1]; or a record was made in the month (passed in as $5).
# Categories and regions are not looked at here (a superset is safe: rules.monthly_change decides).
# tests/test_rules.py checks this necessary condition against rules.monthly_change on random people, and
# tests/test_fast_answers.py the whole report against the reference path (every resident judged) for every
# month of 2010, as known now and before back-dated changes.
# Parameters: $1 as_of, $3 the day before the month (D0) and $4 its last day (L) — the window the monthly
# candidates are read for — and $6 the ID numbers with a record made in the month (text[]). The
# certifications' valid_from and valid_to indexes and the resident versions' employee_insurance_since index
# make each arm an index range scan: a month of a million residents is about 20,000 people.
MONTH_MOVERS = """
SELECT id_number FROM certifications
WHERE valid_from BETWEEN $3::date + 1 AND $4::date
  AND recorded_at <= $1 AND (superseded_at IS NULL OR superseded_at > $1)
UNION
SELECT id_number FROM certifications
WHERE valid_to BETWEEN $3::date AND $4::date - 1
  AND recorded_at <= $1 AND (superseded_at IS NULL OR superseded_at > $1)
UNION
SELECT id_number FROM resident_versions
WHERE employee_insurance_since BETWEEN $3::date + 1 AND $4::date
  AND recorded_at <= $1 AND (superseded_at IS NULL OR superseded_at > $1)
UNION
SELECT unnest($6::text[])
"""
