"""Typed clients for the peers this service reads: eligibility (status, roster) and settlement (R1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from huimin_shared.errors import DependencyUnavailable
from huimin_shared.http import PeerClient, PeerResponseError
from huimin_shared.idnumber import mask_in_text

NDJSON = "application/x-ndjson"
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

    async def status(self, id_number: str, on: date, as_of: datetime | None = None) -> ResidentStatus:
        params: dict[str, str] = {"on": on.isoformat()}
        if as_of is not None:
            params["as_of"] = as_of.isoformat()
        body = await self.get_json(f"/v1/residents/{id_number}/status", params=params)
        return _parsed(ResidentStatus, body, self.service)

    async def roster(self, *, year: int, region: str, as_of: datetime) -> AsyncIterator[RosterRow]:
        """Stream the roster as NDJSON, one row at a time (never the whole roster in memory).

        A stream is not retried halfway: a broken stream fails the run, which a restart re-runs.
        """
        params = {"year": str(year), "region": region, "as_of": as_of.isoformat()}
        headers = self._headers({"Accept": NDJSON})
        url = self._base_url + "/v1/roster"
        try:
            async with self._http.stream(
                "GET", url, params=params, headers=headers, timeout=self._timeout
            ) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise DependencyUnavailable(self.service, f"the roster answered {response.status_code}")
                if response.status_code >= 400:
                    await response.aread()
                    raise PeerResponseError(self.service, response.status_code, _problem(response))
                async for line in response.aiter_lines():
                    if line.strip():
                        yield _parsed_json(RosterRow, line, self.service)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise DependencyUnavailable(
                self.service, f"the eligibility roster stream broke: {exc.__class__.__name__}"
            ) from exc


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


def _parsed_json(model: type[M], line: str, service: str) -> M:
    """One NDJSON line, parsed and validated by pydantic-core in one step (the roster's hot path)."""
    try:
        return model.model_validate_json(line)
    except ValidationError as exc:
        raise DependencyUnavailable(
            service, mask_in_text(f"{service} sent a line this service cannot read: {exc.errors()[0]}")
        ) from exc


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.text[:200]}
    return body if isinstance(body, dict) else {"status": response.status_code}
