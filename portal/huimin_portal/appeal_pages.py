"""Appeals (复核): an officer appeals a refusal or an exit; a civil-affairs officer who neither decided nor
filed answers it (eligibility refuses anyone else); what is overdue is counted."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from huimin_portal.apis import ApiProblem, Apis, Service, ServiceDown, attempt
from huimin_portal.session import SignedIn
from huimin_portal.web import ApisDep, Form, failure, failure_status, optional, render, require, text
from huimin_shared.auth import Role

router = APIRouter(include_in_schema=False)

Officer = Annotated[SignedIn, Depends(require(Role.community_officer))]
AppealReader = Annotated[SignedIn, Depends(require(Role.community_officer, Role.civil_affairs))]
CivilAffairs = Annotated[SignedIn, Depends(require(Role.civil_affairs))]
ANSWERS = ("uphold", "dismiss")
PAGE_SIZE = 200


async def _appeals_page(request: Request, apis: Apis, status_code: int = 200, **extra: Any) -> Response:
    filed, overdue, everything = await asyncio.gather(
        attempt(apis.get(Service.eligibility, "/v1/appeals", status="filed", limit=PAGE_SIZE)),
        attempt(apis.get(Service.eligibility, "/v1/appeals", overdue="true", limit=PAGE_SIZE)),
        attempt(apis.get(Service.eligibility, "/v1/appeals", limit=PAGE_SIZE)),
    )
    context: dict[str, Any] = {
        "filed": filed,
        "overdue": overdue,
        "answered": everything,
        "done": request.query_params.get("done")
        if request.query_params.get("done") in ("filed", *ANSWERS)
        else None,
        "failed_id": None,
        "problem": None,
        "down": None,
        **extra,
    }
    return render(request, "appeals.html", context, status_code)


@router.get("/appeals")
async def appeals(request: Request, user: AppealReader, apis: ApisDep) -> Response:
    return await _appeals_page(request, apis)


@router.get("/appeals/new")
async def appeal_form(
    request: Request, user: Officer, application_id: str = "", lineage: str = "", id_number: str = ""
) -> Response:
    values = {"application_id": application_id, "lineage": lineage, "id_number": id_number}
    return render(request, "appeal_new.html", {"values": values, "problem": None, "down": None})


@router.post("/appeals/new")
async def file_appeal(request: Request, user: Officer, apis: ApisDep, form: Form) -> Response:
    values = {
        name: text(form, name)
        for name in ("application_id", "lineage", "id_number", "reason", "evidence_ref")
    }
    body: dict[str, Any] = {"reason": values["reason"], "evidence_ref": values["evidence_ref"]}
    if values["application_id"]:
        body["application_id"] = values[
            "application_id"
        ]  # eligibility checks it is a UUID (422 at the field)
    if values["lineage"]:
        body["lineage"] = values["lineage"]
    try:
        await apis.post(Service.eligibility, "/v1/appeals", body)
    except (ApiProblem, ServiceDown) as error:
        return render(request, "appeal_new.html", {"values": values, **failure(error)}, failure_status(error))
    return RedirectResponse("/appeals?done=filed", status_code=303)


@router.post("/appeals/{appeal_id}/{answer}")
async def answer_appeal(
    request: Request, appeal_id: uuid.UUID, answer: str, user: CivilAffairs, apis: ApisDep, form: Form
) -> Response:
    if answer not in ANSWERS:
        return render(request, "message.html", {"heading": "problem.status.404"}, 404)
    body: dict[str, Any] = {"answer": text(form, "answer")}
    if answer == "uphold":
        body.update(authority=text(form, "authority"), evidence_ref=text(form, "evidence_ref"))
        for name in ("valid_from", "valid_to"):
            if chosen := optional(form, name):
                body[name] = chosen
    try:
        await apis.post(Service.eligibility, f"/v1/appeals/{appeal_id}/{answer}", body)
    except (ApiProblem, ServiceDown) as error:
        return await _appeals_page(
            request, apis, failure_status(error), failed_id=str(appeal_id), **failure(error)
        )
    return RedirectResponse(f"/appeals?done={answer}", status_code=303)
