"""A resident's own page: their status and certificate, what they and the government paid, who read them."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from huimin_portal.apis import Apis, Outcome, Service, attempt
from huimin_portal.officer_pages import status_and_certificate
from huimin_portal.session import SignedIn
from huimin_portal.web import ApisDep, render, require, today
from huimin_shared.auth import Role

router = APIRouter(include_in_schema=False)

Resident = Annotated[SignedIn, Depends(require(Role.resident))]


async def read_logs(apis: Apis, id_number: str) -> list[dict[str, Any]]:
    """Every service's read log of the person, newest first, each entry naming the service that logged it."""
    logs = await asyncio.gather(
        *(apis.get(service, f"/v1/residents/{id_number}/reads", limit=100) for service in Service)
    )
    entries = [
        {**entry, "service": service.value}
        for service, log in zip(Service, logs, strict=True)
        for entry in log["reads"]
    ]
    return sorted(entries, key=lambda entry: str(entry["at"]), reverse=True)


@router.get("/me")
async def own_page(
    request: Request,
    user: Resident,
    apis: ApisDep,
    on: Annotated[date | None, Query()] = None,
    year: Annotated[int | None, Query(ge=2007, le=2100)] = None,
) -> Response:
    """The token's subject is the resident's ID number; each service answers for that number only."""
    on = on or today()
    year = year or on.year
    number = user.subject
    status, assessments, payments, reads = await asyncio.gather(
        attempt(status_and_certificate(apis, number, on)),
        attempt(apis.get(Service.premium, f"/v1/residents/{number}/assessments")),
        attempt(apis.get(Service.settlement, f"/v1/traces/{number}", year=year)),
        attempt(read_logs(apis, number)),
    )
    outcomes: dict[str, Outcome[Any]] = {
        "status": status,
        "assessments": assessments,
        "payments": payments,
        "reads": reads,
    }
    return render(request, "me.html", {"on": on, "year": year, **outcomes})
