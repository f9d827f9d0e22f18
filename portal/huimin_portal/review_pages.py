"""Civil affairs' pages (民政): the application queue and decisions, imports, the statutory schedule."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from huimin_portal.apis import ApiProblem, Service, ServiceDown, attempt
from huimin_portal.session import SignedIn
from huimin_portal.web import ApisDep, Form, failure, failure_status, optional, render, require, text, today
from huimin_shared import areas
from huimin_shared.auth import Role

router = APIRouter(include_in_schema=False)

Registrar = Annotated[SignedIn, Depends(require(Role.community_officer, Role.civil_affairs))]
CivilAffairs = Annotated[SignedIn, Depends(require(Role.civil_affairs))]
ScheduleReader = Annotated[
    SignedIn,
    Depends(require(Role.civil_affairs, Role.finance, Role.social_insurance, Role.auditor)),
]


async def _applications_page(
    request: Request, apis: ApisDep, user: SignedIn, status_code: int = 200, **extra: Any
) -> Response:
    waiting, decided = await asyncio.gather(
        attempt(apis.get(Service.eligibility, "/v1/applications", status="submitted", limit=200)),
        attempt(apis.get(Service.eligibility, "/v1/applications", limit=1000)),
    )
    context: dict[str, Any] = {
        "waiting": waiting,
        "decided": decided,
        "submitted": request.query_params.get("submitted"),
        "decision": request.query_params.get("decision"),
        "failed_id": None,
        "problem": None,
        "down": None,
    }
    context.update(extra)
    return render(request, "applications.html", context, status_code)


@router.get("/applications")
async def applications(request: Request, user: Registrar, apis: ApisDep) -> Response:
    return await _applications_page(request, apis, user)


@router.post("/applications/{application_id}/approve")
async def approve(
    request: Request, application_id: uuid.UUID, user: CivilAffairs, apis: ApisDep, form: Form
) -> Response:
    body = {"authority": text(form, "authority")}
    # Left empty, the certification records the application's evidence reference (eligibility's rule).
    if evidence_ref := optional(form, "evidence_ref"):
        body["evidence_ref"] = evidence_ref
    if valid_from := optional(form, "valid_from"):
        body["valid_from"] = valid_from
    return await _decide(request, apis, user, application_id, "approve", body)


@router.post("/applications/{application_id}/reject")
async def reject(
    request: Request, application_id: uuid.UUID, user: CivilAffairs, apis: ApisDep, form: Form
) -> Response:
    return await _decide(request, apis, user, application_id, "reject", {"reason": text(form, "reason")})


async def _decide(
    request: Request,
    apis: ApisDep,
    user: SignedIn,
    application_id: uuid.UUID,
    verb: str,
    body: dict[str, str],
) -> Response:
    try:
        await apis.post(Service.eligibility, f"/v1/applications/{application_id}/{verb}", body)
    except (ApiProblem, ServiceDown) as error:
        return await _applications_page(
            request, apis, user, failure_status(error), failed_id=str(application_id), **failure(error)
        )
    decided = {"approve": "approved", "reject": "rejected"}[verb]  # "reject" + "d" named no message
    return RedirectResponse(f"/applications?decision={decided}", status_code=303)


@router.get("/imports")
async def imports(request: Request, user: CivilAffairs, apis: ApisDep, job: str = "") -> Response:
    return render(request, "imports.html", {"job_id": job, "problem": None, "down": None})


@router.post("/imports")
async def upload(request: Request, user: CivilAffairs, apis: ApisDep, form: Form) -> Response:
    roster = form.get("file")
    mode = text(form, "mode") or "partial"
    if not isinstance(roster, UploadFile) or not roster.filename:
        return render(
            request, "imports.html", {"job_id": "", "missing_file": True, "problem": None, "down": None}, 422
        )
    content = await roster.read()
    try:
        answer = await apis.request(
            Service.eligibility,
            "POST",
            "/v1/imports",
            files={"file": (roster.filename, content, roster.content_type or "application/octet-stream")},
            data={"mode": mode},
        )
    except (ApiProblem, ServiceDown) as error:
        return render(request, "imports.html", {"job_id": "", **failure(error)}, failure_status(error))
    return RedirectResponse(f"/imports/{answer.json()['id']}", status_code=303)


@router.get("/imports/{job_id}")
async def import_job(
    request: Request,
    job_id: uuid.UUID,
    user: CivilAffairs,
    apis: ApisDep,
    outcome: str = "",
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    job, rows = await asyncio.gather(
        attempt(apis.get(Service.eligibility, f"/v1/imports/{job_id}")),
        attempt(
            apis.get(
                Service.eligibility,
                f"/v1/imports/{job_id}/rows",
                outcome=outcome or None,
                after=after,
                limit=200,
            )
        ),
    )
    return render(
        request, "import_job.html", {"job": job, "rows": rows, "outcome": outcome, "job_id": job_id}
    )


@router.get("/schedule")
async def schedule(
    request: Request,
    user: ScheduleReader,
    apis: ApisDep,
    city: str = areas.BENXI_CITY,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    on: Annotated[date | None, Query()] = None,
) -> Response:
    on = on or today()
    year = year or on.year
    answer = await attempt(
        apis.get(Service.settlement, "/v1/schedule", city=city, year=year, on=on.isoformat())
    )
    return render(request, "schedule.html", {"schedule": answer, "city": city, "year": year, "on": on})
