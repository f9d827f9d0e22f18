"""The community officer's pages (社区医保专管员): look a resident up, register, apply, reports."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from huimin_portal.apis import ApiProblem, Apis, Outcome, Service, ServiceDown, attempt
from huimin_portal.certificates import check_certificate
from huimin_portal.session import SignedIn
from huimin_portal.web import (
    ApisDep,
    Form,
    area_name,
    failure,
    failure_status,
    language,
    optional,
    render,
    require,
    text,
    today,
)
from huimin_shared import areas
from huimin_shared.auth import Role

router = APIRouter(include_in_schema=False)

Officer = Annotated[SignedIn, Depends(require(Role.community_officer))]
Registrar = Annotated[SignedIn, Depends(require(Role.community_officer, Role.civil_affairs))]
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")
CATEGORIES = ("dibao", "marginal", "low_income_elderly", "severely_disabled")
PAYMENT_READERS = (Role.civil_affairs, Role.finance, Role.auditor, Role.social_insurance)


def regions_for(user: SignedIn, lang: str) -> list[tuple[str, str]]:
    """The districts/counties a person may choose: those under their token's region."""
    return [
        (area.code, area_name(area.code, lang))
        for area in areas.AREAS.values()
        if area.level in (areas.AreaLevel.district, areas.AreaLevel.county)
        and (user.region is None or areas.contains(user.region, area.code))
    ]


@router.get("/residents")
async def find_resident(request: Request, user: Registrar, id_number: str = "") -> Response:
    number = id_number.strip().upper()
    if number and ID_NUMBER.match(number):
        return RedirectResponse(f"/residents/{number}", status_code=303)
    return render(request, "residents.html", {"id_number": number, "invalid": bool(number)})


RESIDENT_FIELDS = ("id_number", "name", "region_code", "community", "household", "employee_insurance_since")


def _form_values(form: Any, names: tuple[str, ...]) -> dict[str, str]:
    return {name: text(form, name) for name in names}


@router.get("/residents/new")
async def register_form(request: Request, user: Officer) -> Response:
    return render(
        request,
        "register.html",
        {"values": {}, "regions": regions_for(user, language(request)), "problem": None, "down": None},
    )


@router.post("/residents/new")
async def register(request: Request, user: Officer, apis: ApisDep, form: Form) -> Response:
    values = _form_values(form, RESIDENT_FIELDS)
    body: dict[str, Any] = {**values, "id_number": values["id_number"].upper()}
    body["employee_insurance_since"] = optional(form, "employee_insurance_since")
    try:
        created = await apis.post(Service.eligibility, "/v1/residents", body)
    except (ApiProblem, ServiceDown) as error:
        return render(
            request,
            "register.html",
            {"values": values, "regions": regions_for(user, language(request)), **failure(error)},
            failure_status(error),
        )
    return RedirectResponse(f"/residents/{created['id_number']}?registered=1", status_code=303)


APPLICATION_FIELDS = (
    "id_number",
    "name",
    "region_code",
    "community",
    "household",
    "household_size",
    "category",
    "requested_from",
    "employee_insurance_since",
    "reason",
    "evidence_ref",
)


def _application_context(request: Request, user: SignedIn, values: dict[str, str]) -> dict[str, Any]:
    lang = language(request)
    return {
        "values": values,
        "regions": regions_for(user, lang),
        "categories": [(c, f"category.{c}") for c in CATEGORIES],
        "problem": None,
        "down": None,
    }


@router.get("/applications/new")
async def application_form(request: Request, user: Officer, id_number: str = "") -> Response:
    values = {"id_number": id_number, "household_size": "1", "category": "dibao"}
    return render(request, "apply.html", _application_context(request, user, values))


@router.post("/applications/new")
async def apply(request: Request, user: Officer, apis: ApisDep, form: Form) -> Response:
    values = _form_values(form, APPLICATION_FIELDS)
    body: dict[str, Any] = {**values, "id_number": values["id_number"].upper()}
    body["employee_insurance_since"] = optional(form, "employee_insurance_since")
    body["household_size"] = (
        int(values["household_size"]) if values["household_size"].isdigit() else values["household_size"]
    )
    try:
        submitted = await apis.post(Service.eligibility, "/v1/applications", body)
    except (ApiProblem, ServiceDown) as error:
        context = _application_context(request, user, values)
        context.update(failure(error))
        return render(request, "apply.html", context, failure_status(error))
    return RedirectResponse(f"/applications?submitted={submitted['id']}", status_code=303)


async def status_and_certificate(apis: Apis, id_number: str, on: date) -> dict[str, Any]:
    status, jwks = await asyncio.gather(
        apis.get(Service.eligibility, f"/v1/residents/{id_number}/status", on=on.isoformat()), apis.jwks()
    )
    return {"status": status, "check": check_certificate(status["certificate"], jwks, status)}


@router.get("/residents/{id_number}")
async def resident_page(
    request: Request,
    id_number: str,
    user: Registrar,
    apis: ApisDep,
    on: Annotated[date | None, Query()] = None,
    year: Annotated[int | None, Query(ge=2007, le=2100)] = None,
) -> Response:
    number = id_number.upper()
    if not ID_NUMBER.match(number):
        return render(request, "residents.html", {"id_number": id_number, "invalid": True}, 422)
    on = on or today()
    year = year or on.year
    calls: list[Any] = [
        attempt(apis.get(Service.eligibility, f"/v1/residents/{number}")),
        attempt(status_and_certificate(apis, number, on)),
        attempt(apis.get(Service.eligibility, f"/v1/residents/{number}/certifications")),
        attempt(apis.post(Service.premium, "/v1/quotes", {"year": year, "id_number": number})),
        attempt(apis.get(Service.eligibility, f"/v1/residents/{number}/reads", limit=20)),
    ]
    if user.has(*PAYMENT_READERS):
        calls.append(attempt(apis.get(Service.settlement, f"/v1/traces/{number}", year=year)))
    record, status, certifications, quote, reads, *rest = await asyncio.gather(*calls)
    payments: Outcome[Any] | None = rest[0] if rest else None
    code = 404 if record.problem and record.problem.status == 404 else 200
    return render(
        request,
        "resident.html",
        {
            "id_number": number,
            "on": on,
            "year": year,
            "record": record,
            "status": status,
            "certifications": certifications,
            "quote": quote,
            "reads": reads,
            "payments": payments,
            "registered": request.query_params.get("registered"),
        },
        code,
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reports_context(request: Request, user: SignedIn, **extra: Any) -> dict[str, Any]:
    this_month = today()
    context: dict[str, Any] = {
        "regions": regions_for(user, language(request)),
        "month": f"{this_month.year:04d}-{this_month.month:02d}",
        "year": this_month.year,
        "region": user.region if user.region and user.region != areas.BENXI_CITY else "",
        "community": "",
        "problem": None,
        "down": None,
        "disclosure": None,
    }
    context.update(extra)
    return context


@router.get("/reports")
async def reports(request: Request, user: Officer) -> Response:
    return render(request, "reports.html", _reports_context(request, user))


@router.get("/reports/monthly-changes.xlsx")
async def monthly_changes_sheet(
    request: Request, user: Officer, apis: ApisDep, region: str = "", month: str = ""
) -> Response:
    """资助对象明细表: the service's workbook handed to the person as it comes (the portal keeps no copy)."""
    try:
        answer = await apis.request(
            Service.eligibility,
            "GET",
            "/v1/monthly-changes",
            params={"region": region, "month": month, "format": "xlsx"},
        )
    except (ApiProblem, ServiceDown) as error:
        context = _reports_context(request, user, region=region, month=month)
        context.update(failure(error))
        return render(request, "reports.html", context, failure_status(error))
    filename = f"monthly-changes-{region}-{month}.xlsx"
    return Response(
        answer.content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/reports/disclosure")
async def disclosure(
    request: Request,
    user: Officer,
    apis: ApisDep,
    region: str = "",
    community: str = "",
    year: Annotated[int | None, Query(ge=2007, le=2100)] = None,
) -> Response:
    year = year or today().year
    listed = await attempt(
        apis.get(Service.eligibility, "/v1/disclosure", region=region, community=community, year=year)
    )
    context = _reports_context(
        request, user, region=region, community=community, year=year, disclosure=listed
    )
    return render(request, "reports.html", context)
