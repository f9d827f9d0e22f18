"""Roster rows as eligibility serves them (GET /v1/roster, NDJSON), for respx-mocked tests and benches.

Synthetic residents come from ``huimin_shared.synthetic``; this helper applies what eligibility applies
to them for the roster (E3: employee insurance excluded; E5: an exit keeps cover to year end) in the
simplest form that is faithful to the contract's row shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from huimin_shared.idnumber import check_character
from huimin_shared.synthetic import SyntheticResident, synthetic_residents


def roster_row(resident: SyntheticResident, year: int) -> dict[str, Any] | None:
    start, end = date(year, 1, 1), date(year, 12, 31)
    overlapping = [
        c
        for c in resident.certifications
        if c.valid_from <= end and (c.valid_to is None or c.valid_to >= start)
    ]
    if not overlapping:
        return None
    first = max(start, min(c.valid_from for c in overlapping))
    if resident.employee_insurance_since is not None and resident.employee_insurance_since <= first:
        return None  # E3
    return {
        "id_number": resident.id_number,
        "birth_date": resident.birth_date.isoformat(),
        "sex": resident.sex.value,
        "region_code": resident.region_code,
        "categories": [
            {
                "category": c.category,
                "valid_from": c.valid_from.isoformat(),
                "valid_to": c.valid_to.isoformat() if c.valid_to else None,
            }
            for c in overlapping
        ],
        "first_eligible_on": first.isoformat(),
        "certified_at_year_start": first == start,
    }


def synthetic_roster(count: int, *, year: int = 2010, seed: int = 0) -> Iterator[dict[str, Any]]:
    """The roster rows of ``count`` synthetic residents (those eligible), in ID-number order."""
    rows = (roster_row(r, year) for r in synthetic_residents(count, year=year, seed=seed))
    yield from sorted((row for row in rows if row is not None), key=lambda row: row["id_number"])


def ndjson(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows)


def id_number(area: str, born: date, sequence: int) -> str:
    first_17 = f"{area}{born:%Y%m%d}{sequence:03d}"
    return first_17 + check_character(first_17)


def person(
    area: str,
    born: str,
    sequence: int,
    categories: list[tuple[str, str, str | None]],
    *,
    region: str | None = None,
    year: int = 2010,
) -> dict[str, Any]:
    """A hand-made roster row: categories as (category, valid_from, valid_to or None)."""
    start = date(year, 1, 1)
    first = max(start, min(date.fromisoformat(c[1]) for c in categories))
    return {
        "id_number": id_number(area, date.fromisoformat(born), sequence),
        "birth_date": born,
        "sex": "male" if sequence % 2 else "female",
        "region_code": region or area,
        "categories": [{"category": c, "valid_from": f, "valid_to": t} for c, f, t in categories],
        "first_eligible_on": first.isoformat(),
        "certified_at_year_start": first == start,
    }
