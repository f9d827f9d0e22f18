"""The row rule of a roster import: a row (field → stripped text) becomes typed values or the reason it
is rejected (pure; no database) — the one place a row is judged before the register is read. The E1
checks at the door are the API's (``divisions``). validation.py applies it in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from huimin_eligibility import divisions, rules
from huimin_shared import areas, idnumber, sheets

CATEGORY_ALIASES: dict[str, rules.Category] = {
    **{c.value: c for c in rules.Category},
    **{name: c for c, name in rules.CATEGORY_NAMES_ZH.items()},
    "低保": rules.Category.dibao,
    "低保边缘": rules.Category.marginal,
    "低收入老年人": rules.Category.low_income_elderly,
    "重度残疾人": rules.Category.severely_disabled,
}
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_TEXT = 100  # name, community, household
MAX_REFERENCE = 200  # authority, evidence_ref (cut, not refused)


@dataclass(frozen=True, slots=True)
class Door:
    """E1 at the door, as on every other path (``divisions``): the cities this deployment serves (a place
    of residence must be one of their districts or counties) and today's date in China (no one is born
    after it)."""

    cities: tuple[str, ...]
    today: date


@dataclass(frozen=True, slots=True)
class ImportRowData:
    row_number: int
    id_number: str
    birth_date: date
    sex: str
    name: str
    region_code: str
    community: str
    household: str
    category: rules.Category
    valid_from: date
    valid_to: date | None
    employee_insurance_since: date | None
    authority: str | None  # None: the cell was blank (keep the existing value)
    evidence_ref: str | None
    warning: str | None = None  # recorded, but can never be assessed (divisions.never_assessed_warning)


def _date(raw: Mapping[str, str], field_name: str, required: bool) -> date | None:
    value = raw.get(field_name, "").strip()
    if not value:
        if required:
            raise ValueError(f"{field_name} is empty")
        return None
    try:
        return date.fromisoformat(value.replace("/", "-")[:10])
    except ValueError as exc:
        raise ValueError(f"{field_name} {value!r} is not a date (YYYY-MM-DD)") from exc


def formula_problem(raw: Mapping[str, str]) -> str | None:
    """A cell a spreadsheet would run as a formula (``=HYPERLINK(…)``, ``@SUM(1)``, ``=cmd|' /C calc'!A0``) is
    refused with its row: nobody is named like that, and it would travel on into every export. A lone "-" (a
    clerk's "none") is not a formula."""
    for name, value in raw.items():
        if len(value.strip()) > 1 and sheets.looks_like_formula(value.strip()):
            return (
                f"{name} begins with {value.strip()[0]!r}, which spreadsheet programs run as a formula; "
                "refused (formula injection)"
            )
    return None


def validate_row(
    row_number: int, raw: Mapping[str, str], region_limit: str | None, door: Door
) -> ImportRowData | str:
    """The row as typed values, or the reason it is rejected (pure; no database). The E1 checks at the door
    are the API's (``divisions``): a future birth date, no province's area code, a residence outside the
    deployment's cities."""
    for name, value in raw.items():
        if CONTROL_CHARACTER.search(value):
            return f"{name} contains a control character (e.g. NUL)"
    formula = formula_problem(raw)
    if formula is not None:
        return formula
    try:
        parsed = idnumber.parse(raw.get("id_number", ""))
    except idnumber.InvalidIdNumber as exc:
        return f"id_number: {exc}"
    unreal = divisions.id_number_problem(parsed.area_code, parsed.birth_date, door.today)
    if unreal:
        return f"id_number: {unreal}"
    for name in ("name", "community", "household"):
        if not raw.get(name, "").strip():
            return f"{name} is empty"
        if len(raw[name]) > MAX_TEXT:
            return f"{name} is longer than {MAX_TEXT} characters"
    region = raw.get("region_code", "").strip()
    if not areas.is_area_code(region) or areas.level_of(region) not in (
        areas.AreaLevel.district,
        areas.AreaLevel.county,
    ):
        return f"region_code {region!r} is not a district or county code"
    outside = divisions.residence_problem(region, door.cities)
    if outside:
        return f"region_code: {outside}"
    if region_limit is not None and not areas.contains(region_limit, region):
        return f"region_code {region} is outside this token's region {region_limit}"
    category = CATEGORY_ALIASES.get(raw.get("category", "").strip())
    if category is None:
        return f"category {raw.get('category', '')!r} is not one of dibao, marginal, low_income_elderly, severely_disabled"
    try:
        valid_from = _date(raw, "valid_from", True)
        valid_to = _date(raw, "valid_to", False)
        employee = _date(raw, "employee_insurance_since", False)
    except ValueError as exc:
        return str(exc)
    if valid_from is None:  # _date(required=True) never answers None; kept for the type checker
        return "valid_from is empty"
    if valid_to is not None and valid_to < valid_from:
        return "valid_to is before valid_from"
    if valid_from < parsed.birth_date:
        return "valid_from is before the resident was born"
    return ImportRowData(
        row_number=row_number,
        id_number=parsed.number,
        birth_date=parsed.birth_date,
        sex=parsed.sex.value,
        name=raw["name"].strip(),
        region_code=region,
        community=raw["community"].strip(),
        household=raw["household"].strip(),
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        employee_insurance_since=employee,
        authority=raw.get("authority", "").strip()[:MAX_REFERENCE] or None,
        evidence_ref=raw.get("evidence_ref", "").strip()[:MAX_REFERENCE] or None,
        warning=divisions.never_assessed_warning(region, valid_from, valid_to, employee),
    )
