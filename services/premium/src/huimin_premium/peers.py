"""Typed clients for the peers this service reads: eligibility (status, roster) and settlement (R1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from huimin_shared.auth import Principal, on_behalf_of_headers
from huimin_shared.errors import DependencyUnavailable
from huimin_shared.http import PeerClient
from huimin_shared.idnumber import mask_in_text

M = TypeVar("M", bound=BaseModel)


class ResidentStatus(BaseModel):
    """GET /v1/residents/{id_number}/status on eligibility."""

    id_number: str
    on: date
    eligible: bool
    categories: list[str]
    age_group: str | None = None
    birth_date: date
    region_code: str
    employee_insurance: bool = False
    excluded_reason: str | None = None


class RosterCertification(BaseModel):
    category: str
    valid_from: date
    valid_to: date | None = None


class RosterRow(BaseModel):
    """One line of GET /v1/roster (NDJSON): someone eligible for the cover year (E3, E5 applied)."""

    id_number: str
    birth_date: date
    sex: str | None = None
    region_code: str
    categories: list[RosterCertification]
    first_eligible_on: date
    certified_at_year_start: bool


class FiscalSubsidyMoved(BaseModel):
    central: str
    province: str
    city: str
    district_or_county: str
    total: str


class FiscalSubsidy(BaseModel):
    """GET /v1/reports/fiscal-subsidy on settlement: what the ledger actually moved (R1)."""

    region: str
    year: int
    moved: FiscalSubsidyMoved


class EligibilityClient(PeerClient):
    service = "eligibility"

    async def status(
        self,
        id_number: str,
        on: date,
        as_of: datetime | None = None,
        *,
        on_behalf_of: Principal | None = None,
    ) -> ResidentStatus:
        """``on_behalf_of``: the end user this read is for; eligibility verifies their token, applies their
        region limit and names them in the person's read log."""
        params: dict[str, str] = {"on": on.isoformat()}
        if as_of is not None:
            params["as_of"] = as_of.isoformat()
        body = await self.get_json(
            f"/v1/residents/{id_number}/status", params=params, headers=on_behalf_of_headers(on_behalf_of)
        )
        return _parsed(ResidentStatus, body, self.service)

    async def roster(
        self,
        *,
        year: int,
        region: str,
        as_of: datetime,
        after: str = "",
        first_eligible_after: date | None = None,
        id_numbers: list[str] | None = None,
    ) -> AsyncIterator[RosterRow]:
        """``roster_lines``, each line parsed and validated as a ``RosterRow``."""
        async for line in self.roster_lines(
            year=year,
            region=region,
            as_of=as_of,
            after=after,
            first_eligible_after=first_eligible_after,
            id_numbers=id_numbers,
        ):
            yield _parsed_json(RosterRow, line, self.service)

    def roster_lines(
        self,
        *,
        year: int,
        region: str,
        as_of: datetime,
        after: str = "",
        first_eligible_after: date | None = None,
        id_numbers: list[str] | None = None,
    ) -> AsyncIterator[bytes]:
        """Stream the roster as NDJSON lines (bytes, as sent) in ID-number order, one line at a time (never
        the whole roster in memory), from the first ID number greater than ``after``; with
        ``first_eligible_after``, only the people whose first eligible day comes after it; with
        ``id_numbers``, only those people (POST /v1/roster/selection).

        Opening it is retried (nothing read yet); a break halfway fails the run.
        """
        params = {"year": str(year), "region": region, "as_of": as_of.isoformat()}
        if after:
            params["after"] = after
        if first_eligible_after is not None:
            params["first_eligible_after"] = first_eligible_after.isoformat()
        if id_numbers is None:
            return self.stream_ndjson("/v1/roster", params=params)
        named = [number for number in id_numbers if number > after]
        return self.stream_ndjson("/v1/roster/selection", json_body={**params, "id_numbers": named})


class SettlementClient(PeerClient):
    service = "settlement"

    async def fiscal_subsidy(self, *, region: str, year: int) -> FiscalSubsidy:
        body = await self.get_json("/v1/reports/fiscal-subsidy", params={"region": region, "year": str(year)})
        return _parsed(FiscalSubsidy, body, self.service)


def _parsed(model: type[M], body: Any, service: str) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise DependencyUnavailable(
            service, mask_in_text(f"{service} answered a body this service cannot read: {exc.errors()[0]}")
        ) from exc


def _parsed_json(model: type[M], line: bytes, service: str) -> M:
    """One NDJSON line, parsed and validated by pydantic-core in one step (the roster's hot path)."""
    try:
        return model.model_validate_json(line)
    except ValidationError as exc:
        raise DependencyUnavailable(
            service, mask_in_text(f"{service} sent a line this service cannot read: {exc.errors()[0]}")
        ) from exc
