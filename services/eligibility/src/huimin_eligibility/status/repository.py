"""The status look-up's one statement: eligibility_status_lookup (migration 0004_status) pins the as_of,
reads the versions and certifications known then within the token's region and writes the read-log rows,
in one round trip and one transaction. asyncpg prepares it once per connection (its statement cache)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from huimin_eligibility import rules
from huimin_eligibility.residents.repository import readable_prefix
from huimin_shared.auth import Principal

LOOK_UP = "SELECT * FROM eligibility_status_lookup($1, $2, $3, $4, $5, $6)"
CURRENT_REGION = "SELECT region_code FROM resident_versions WHERE id_number = $1 AND superseded_at IS NULL"


@dataclass(frozen=True, slots=True)
class Found:
    """A resident as known at the pinned as_of, with the certifications known then."""

    id_number: str
    birth_date: date
    sex: str
    region_code: str
    employee_insurance_since: date | None
    periods: tuple[rules.Period, ...]


class StatusRepository:
    def __init__(self, connection: Any) -> None:
        self.connection = connection  # an asyncpg connection outside any explicit transaction

    async def look_up(
        self,
        id_numbers: Sequence[str],
        as_of: datetime | None,
        principal: Principal,
        *,
        reader: str,
        role: str,
        purpose: str,
    ) -> tuple[datetime, dict[str, Found]]:
        """The pinned as_of and the residents found, each read logged (reader, role, purpose) — the one
        place status reads are written to read_log."""
        rows = await self.connection.fetch(
            LOOK_UP, list(id_numbers), as_of, readable_prefix(principal), reader, role, purpose
        )
        found: dict[str, Found] = {}
        for row in rows:
            number = row["id_number"]
            if number is None:
                continue
            periods = tuple(
                rules.Period(rules.Category(category), start, end)
                for category, start, end in zip(
                    row["categories"] or (), row["valid_from"] or (), row["valid_to"] or (), strict=True
                )
            )
            found[number] = Found(
                number,
                row["birth_date"],
                row["sex"],
                row["region_code"],
                row["employee_insurance_since"],
                periods,
            )
        as_of_pinned: datetime = rows[0]["as_of"]
        return as_of_pinned, found

    async def current_region(self, id_number: str) -> str | None:
        region: str | None = await self.connection.fetchval(CURRENT_REGION, id_number)
        return region
