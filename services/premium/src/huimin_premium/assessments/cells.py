"""The rules of an assessment run, evaluated once per distinct input (issue 13): pure, no I/O.

A million residents fall into a few hundred cells — (age group, region, categories held) under the run's
pinned packs — and a few tens of thousands of birth dates. The writer (``writer.py``) asks PostgreSQL for
the distinct inputs of the staged roster, these functions apply the cited rules of ``rules.py`` to each one
once, and PostgreSQL joins every resident to the results: the rules stay here, SQL only joins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from huimin_policy.enums import Category
from huimin_premium import rules
from huimin_shared import areas

# The categories the rules know (rules.categories_on ignores any other a roster row may carry).
KNOWN_CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
KINDS = ("annual", "new_entrants", "refunds")


def selected(kind: str, certified_at_year_start: bool, on_paid_list: bool) -> bool:
    """Which roster rows an assessment kind covers (B§四(一)–(四)): annual, the people certified at the start
    of the year; new entrants, the others (B§四(三)); refunds, the people on the paid list (B§四(四)) — who are
    never in the other two, so nobody is paid for twice (S4)."""
    if kind == "refunds":
        return on_paid_list
    if on_paid_list:
        return False
    if kind == "annual":
        return certified_at_year_start
    return not certified_at_year_start


def selections(kind: str) -> list[tuple[bool, bool]]:
    """The (certified_at_year_start, on_paid_list) pairs ``selected`` keeps for ``kind``: the join's table."""
    if kind not in KINDS:
        raise ValueError(f"unknown assessment kind {kind!r}")
    pairs = [(start, paid) for start in (True, False) for paid in (True, False)]
    return [pair for pair in pairs if selected(kind, *pair)]


def outside(region: str, region_codes: Iterable[str]) -> list[str]:
    """The region codes that do not lie in ``region`` (a roster row there must not be paid for)."""
    return sorted(code for code in region_codes if not areas.contains(region, code))


def age_groups(birth_dates: Iterable[date], year: int) -> dict[date, str]:
    """P1's age group of each birth date for the cover year (rules.age_group, once per distinct date)."""
    return {born: rules.age_group(born, year).value for born in birth_dates}


@dataclass(frozen=True, slots=True)
class Cell:
    """Residents alike for the calculator: the same age group, region code and categories held; ``born`` is
    one of their birth dates (rules.calculate takes a birth date and reads only its age group from it)."""

    age_group: str
    region_code: str
    categories: tuple[str, ...]  # sorted, as on the results
    born: date

    @property
    def key(self) -> str:
        """How writer.RESULTS finds a resident's cell: age group, region code, categories held."""
        return f"{self.age_group}|{self.region_code}|{' '.join(self.categories)}"


@dataclass(frozen=True, slots=True)
class CellResult:
    cell: Cell
    category: str | None
    individual_contribution: Decimal
    assistance_subsidy: Decimal
    resident_pays: Decimal
    central: Decimal
    province: Decimal
    city: Decimal
    district_or_county: Decimal
    citation: str


def result(cell: Cell, params: rules.YearParameters) -> CellResult:
    """One cell through the cited calculator (P1–P6) and its split by payer."""
    held = frozenset(Category(c) for c in cell.categories)
    outcome = rules.calculate(cell.born, cell.region_code, held, params)
    if outcome.age_group.value != cell.age_group:  # the cell's group came from the same rule
        raise RuntimeError(f"cell {cell} is in age group {outcome.age_group.value} by rules.calculate")
    central, province, city, district = rules.payer_amounts(outcome)
    return CellResult(
        cell=cell,
        category=outcome.category.value if outcome.category else None,
        individual_contribution=outcome.individual_contribution.value,
        assistance_subsidy=outcome.assistance_subsidy.value,
        resident_pays=outcome.resident_pays.value,
        central=central,
        province=province,
        city=city,
        district_or_county=district,
        citation=outcome.citation,
    )
