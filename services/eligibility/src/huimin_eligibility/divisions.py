"""Data quality at the door (E1): the checks every path that records a person runs — the single
registration, an application and each import row — against the dated division list in
``data/divisions.csv`` (its source and date are in its header).

Each check is a pure function returning the reason a value is refused, or None, so the API paths turn it
into a 422 problem naming the field and the import turns it into the row's rejection reason.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from importlib import resources

from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack
from huimin_shared.errors import FieldProblem, ValidationFailed

# China has one zone and no daylight saving: "today" for a birth date is the day in Beijing.
CHINA = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: str  # province | city | district | county
    valid_from: date | None  # None: in force before the earliest change the list holds
    valid_to: date | None  # None: still in force


@lru_cache(maxsize=1)
def divisions() -> dict[str, Division]:
    text = resources.files("huimin_eligibility").joinpath("data/divisions.csv").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if line and not line.startswith("#"))
    return {
        row["code"]: Division(
            code=row["code"],
            name=row["name"],
            level=row["level"],
            valid_from=date.fromisoformat(row["valid_from"]) if row["valid_from"] else None,
            valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
        )
        for row in csv.DictReader(lines)
    }


@lru_cache(maxsize=1)
def province_prefixes() -> frozenset[str]:
    return frozenset(d.code[:2] for d in divisions().values() if d.level == "province")


def today_in_china() -> date:
    return datetime.now(UTC).astimezone(CHINA).date()


def id_number_problem(area_code: str, birth_date: date, today: date) -> str | None:
    """Why an ID number (already valid by GB 11643) cannot be a resident's: born after today, or an area code
    whose first two digits are no province's. The rest of the area code may be an old or another province's
    code — the number keeps the place of first registration."""
    if birth_date > today:
        return f"birth date {birth_date.isoformat()} (characters 7-14) is after today ({today.isoformat()})"
    if area_code[:2] not in province_prefixes():
        return f"area code {area_code} (characters 1-6) does not begin with a province code (GB/T 2260)"
    return None


def residence_problem(region_code: str, cities: Iterable[str]) -> str | None:
    """Why ``region_code`` cannot be a place of residence here: it must be a district, county or county-level
    city of one of the deployment's ``cities`` in the division list (a code since replaced still counts:
    records made while it was in force carry it)."""
    served = tuple(cities)
    division = divisions().get(region_code)
    if division is None or division.level not in ("district", "county"):
        return (
            f"{region_code} is not a district or county code in the division list "
            f"(GB/T 2260, data/divisions.csv)"
        )
    if not any(region_code[:4] == city[:4] for city in served):
        return f"{region_code} ({division.name}) lies outside the cities this service serves ({', '.join(served)})"
    return None


def refuse(problems: dict[str, str | None]) -> None:
    """A 422 problem naming each refused field (``{"body.region_code": reason-or-None}``); nothing if none."""
    found = [FieldProblem(field=name, reason=reason) for name, reason in problems.items() if reason]
    if found:
        raise ValidationFailed("; ".join(f"{p.field}: {p.reason}" for p in found), errors=found)


@dataclass(frozen=True, slots=True)
class PackYears:
    id: str
    region: str  # "" everywhere, else a city code
    effective_from: date
    source: str


@dataclass(frozen=True, slots=True)
class PolicyCalendar:
    """The first day each shipped pack can assess (huimin_policy's packs, the ones premium prices with) and
    the appeal deadline eligibility takes from the law (data/policy_calendar.toml)."""

    packs: tuple[PackYears, ...]
    appeal_deadline_days: int
    appeal_source: str


@lru_cache(maxsize=1)
def calendar() -> PolicyCalendar:
    text = resources.files("huimin_eligibility").joinpath("data/policy_calendar.toml").read_text("utf-8")
    data = tomllib.loads(text)
    first: dict[str, Pack] = {}
    for pack in sorted(shipped_packs(), key=lambda p: (p.id, p.effective_from)):
        first.setdefault(pack.id, pack)
    return PolicyCalendar(
        packs=tuple(
            PackYears(
                p.id, p.region or "", p.effective_from, f"{p.document} ({p.id} v{p.version}, effective_from)"
            )
            for p in first.values()
        ),
        appeal_deadline_days=int(data["appeal"]["deadline_days"]),
        appeal_source=str(data["appeal"]["source"]),
    )


def never_assessed_warning(
    region_code: str, valid_from: date, valid_to: date | None, employee_insurance_since: date | None
) -> str | None:
    """Why a certification can never be assessed, though it is recorded: it ends before the first day the pack
    for the place covers, or it begins on or after the day employee insurance began (never an eligible day,
    E3). None when it can be."""
    if employee_insurance_since is not None and valid_from >= employee_insurance_since:
        return (
            f"warning: certified from {valid_from.isoformat()}, on or after employee insurance began "
            f"({employee_insurance_since.isoformat()}): never an eligible day (E3)"
        )
    # A city's own pack decides where there is one (Benxi subsidises from 2010-01-01); else the national one.
    local = [p for p in calendar().packs if p.region and region_code[:4] == p.region[:4]]
    applicable = local or [p for p in calendar().packs if not p.region]
    earliest = min((p.effective_from for p in applicable), default=None)
    if earliest is not None and valid_to is not None and valid_to < earliest:
        packs = ", ".join(p.id for p in applicable)
        return (
            f"warning: certified until {valid_to.isoformat()}, before any pack for {region_code} "
            f"({packs}) begins on {earliest.isoformat()}: never assessed"
        )
    return None
