"""Issue 13: a run applies the rules once per cell and PostgreSQL joins every resident to their cell's result.
These tests hold the two things that makes safe: the categories a resident holds, worked out in SQL from the
staged roster, are rules.categories_on's (E2); and every resident of a cell comes to the same figures as
rules.calculate gives them alone (P1–P6), so computing the cell once is computing each of them."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import Category
from huimin_policy.packs.files import shipped_packs
from huimin_premium import rules
from huimin_premium.assessments import cells, writer
from huimin_shared import bulk
from huimin_shared.synthetic import BENXI_DISTRICTS_AND_COUNTIES

YEAR = 2010
CATEGORIES = [*cells.KNOWN_CATEGORIES, "veteran"]  # one the rules do not know, to be ignored


def _day(rng: random.Random) -> date:
    return date(2008, 6, 1) + timedelta(days=rng.randint(0, 1000))


def _person(rng: random.Random, number: int) -> tuple[dict[str, object], list[tuple[str, date, date | None]]]:
    first = date(YEAR, 1, 1) if rng.random() < 0.5 else _day(rng)
    certifications = []
    for _ in range(rng.randint(1, 3)):
        edge = rng.random()
        start = first if edge < 0.1 else _day(rng)  # certified from the very day cover starts
        end = None if rng.random() < 0.4 else start + timedelta(days=rng.randint(0, 500))
        if edge > 0.9:
            start, end = min(start, first), first  # or certified up to that very day
        certifications.append((rng.choice(CATEGORIES), start, end))
    born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 30000))
    row = {
        "id_number": f"21050219600101{number:04d}",
        "birth_date": born.isoformat(),
        "sex": "female",
        "region_code": rng.choice(sorted(BENXI_DISTRICTS_AND_COUNTIES)),
        "categories": [
            {"category": c, "valid_from": f.isoformat(), "valid_to": t.isoformat() if t else None}
            for c, f, t in certifications
        ],
        "first_eligible_on": first.isoformat(),
        "certified_at_year_start": rng.random() < 0.5,
    }
    return row, certifications


async def test_the_categories_held_in_sql_are_those_of_rules_categories_on(session: AsyncSession) -> None:
    """E2 (rules.categories_on): for 2,000 random roster rows — overlapping, open and ended certifications, some
    starting or ending on the very day cover starts, a
    category the rules do not know, cover starting on 1 January or later — the held categories writer.PARSE
    works out in SQL are exactly those certified on the day cover starts, sorted; someone holding none that
    day is held in every known category they are certified in (as the per-resident calculator did)."""
    rng = random.Random(13)
    people = [_person(rng, number) for number in range(2000)]
    run_id = 2_000_000_000  # staged lines need no run row (no foreign key on the staging table)
    await writer.stage(session, run_id, [json.dumps(row).encode() for row, _ in people])
    raw = await bulk.driver_connection(session)
    await raw.execute(writer.ROSTER_TABLE)
    await raw.execute(writer.PARSE, run_id, list(cells.KNOWN_CATEGORIES))
    held_in_sql = {
        row[0]: list(row[1]) for row in await raw.fetch("SELECT id_number, held FROM pg_temp.roster")
    }

    fallbacks = 0
    for row, certifications in people:
        held = rules.categories_on(certifications, date.fromisoformat(str(row["first_eligible_on"])))
        if not held:
            fallbacks += 1
            held = frozenset(Category(c) for c, _f, _t in certifications if c in cells.KNOWN_CATEGORIES)
        assert held_in_sql[str(row["id_number"])] == sorted(c.value for c in held), row
    assert 0 < fallbacks < len(people)  # both branches were exercised


def test_each_kind_covers_the_people_of_b4() -> None:
    """B§四(一)–(四), S4: annual covers those certified at the start of the year and not on the paid list, new
    entrants the others not on it, refunds only the people on it — each person in exactly one kind."""
    assert cells.selections("annual") == [(True, False)]
    assert cells.selections("new_entrants") == [(False, False)]
    assert cells.selections("refunds") == [(True, True), (False, True)]
    with pytest.raises(ValueError, match="unknown"):
        cells.selections("monthly")


def test_a_region_outside_the_assessment_is_named() -> None:
    """A roster row outside the assessment's region must not be paid for: 210502 lies in 210500, 210100 not."""
    assert cells.outside("210500", ["210502", "210521", "210100"]) == ["210100"]
    assert cells.outside("210502", ["210502"]) == []


@pytest.mark.parametrize("pack_id", ["benxi", "national"])
def test_everyone_in_a_cell_comes_to_the_cells_result(pack_id: str) -> None:
    """P1–P6: a cell's result, computed once from one of its birth dates, equals rules.calculate for each of
    3,000 random residents of that cell (any birth date in the age group, including 1 and 2 January of the
    boundary years) — so the amounts, payer split and citation depend on nothing a cell leaves out."""
    packs = {pack.id: pack for pack in shipped_packs()}
    params = rules.resolve(packs[pack_id], packs["national"], YEAR)
    rng = random.Random(12)
    edges = [date(YEAR - 18, 1, 1), date(YEAR - 18, 1, 2), date(YEAR - 60, 1, 1), date(YEAR - 60, 1, 2)]
    results: dict[tuple[str, str, tuple[str, ...]], cells.CellResult] = {}
    for _ in range(3000):
        born = (
            rng.choice(edges)
            if rng.random() < 0.2
            else date(1925, 1, 1) + timedelta(days=rng.randint(0, 31000))
        )
        region = rng.choice(sorted(BENXI_DISTRICTS_AND_COUNTIES))
        held = tuple(sorted(rng.sample(cells.KNOWN_CATEGORIES, rng.randint(0, 2))))
        group = cells.age_groups([born], YEAR)[born]
        key = (group, region, held)
        if key not in results:
            results[key] = cells.result(cells.Cell(group, region, held, born), params)
        cell = results[key]
        outcome = rules.calculate(born, region, frozenset(Category(c) for c in held), params)
        assert (
            cell.category,
            cell.individual_contribution,
            cell.assistance_subsidy,
            cell.resident_pays,
            (cell.central, cell.province, cell.city, cell.district_or_county),
            cell.citation,
        ) == (
            outcome.category.value if outcome.category else None,
            outcome.individual_contribution.value,
            outcome.assistance_subsidy.value,
            outcome.resident_pays.value,
            rules.payer_amounts(outcome),
            outcome.citation,
        )
    assert len(results) < 300  # a few hundred cells at most, whatever the number of residents
