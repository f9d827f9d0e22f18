"""HTTP routes for roster imports (名册导入)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from huimin_eligibility.deps import CivilAffairs
from huimin_eligibility.imports import service
from huimin_eligibility.imports.schemas import ImportJobOut, ImportMode, ImportRowOut, ImportRowsPage
from huimin_eligibility.settings import EligibilitySettings
from huimin_shared.app import RuntimeDep, SessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.guard import upload_route
from huimin_shared.jobs import JobRunner

router = APIRouter(prefix="/v1/imports", tags=["imports"])


@router.post(
    "",
    response_model=ImportJobOut,
    status_code=201,
    summary="Import a civil-affairs roster",
    description="名册导入: upload a CSV (UTF-8 or GBK) or XLSX roster, one row per resident and certification, "
    "headers in Chinese (公民身份号码, 姓名, 区县代码, 社区, 户号, 类别, 认定日期, 退出日期, 职工医保参保日期, 认定机关, "
    "证明文号) or English. Each row is accepted, rejected with a reason, or unchanged; importing the same "
    "file twice changes nothing. `mode=partial` (default) applies good rows; `all_or_nothing` applies none "
    "if any row is bad. Small files finish within the request (201); larger ones answer 202 and run as a "
    "job committing in chunks — follow `GET /v1/imports/{id}`. This is also the bulk-load path (COPY). "
    "Rows are refused as a registration is (future birth date, no province's area code, a residence outside "
    "the deployment's cities); a row recorded that can never be assessed (it ends before the place's pack "
    "begins, or begins after employee insurance) is reported with a `warning: …` reason.",
    responses={
        202: {"model": ImportJobOut, "description": "A large file: the job runs in the background."},
        **problem_responses(401, 403, 422),
    },
)
@upload_route
async def create_import(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CivilAffairs,
    file: Annotated[UploadFile, File(description="The roster file (.csv or .xlsx).")],
    mode: Annotated[ImportMode, Form(description="partial or all_or_nothing.")] = ImportMode.partial,
) -> ImportJobOut | JSONResponse:
    settings = runtime.settings
    if not isinstance(settings, EligibilitySettings):
        raise RuntimeError("settings is not EligibilitySettings")
    runner: JobRunner = request.app.state.jobs  # made by the lifespan
    job, background = await service.import_roster(
        session, runtime.sessions, settings, principal, file.filename, file.file, mode.value, runner.wake
    )
    if background:
        return JSONResponse(job.model_dump(mode="json"), status_code=202)
    return job


@router.get(
    "/{job_id}",
    response_model=ImportJobOut,
    summary="An import job and its progress",
    description="导入进度: status, rows processed so far and the counts of accepted, rejected and unchanged rows.",
    responses=problem_responses(401, 403, 404, 422),
)
async def get_import(job_id: uuid.UUID, session: SessionDep, principal: CivilAffairs) -> ImportJobOut:
    return await service.readable_job(session, job_id, principal)


@router.get(
    "/{job_id}/rows",
    response_model=ImportRowsPage,
    summary="The row-by-row report of an import",
    description="导入明细: each row's outcome with the reason for a rejection (ID numbers masked), in file order; "
    "keyset pages by row number.",
    responses=problem_responses(401, 403, 404, 422),
)
async def import_rows(
    job_id: uuid.UUID,
    session: SessionDep,
    principal: CivilAffairs,
    outcome: str | None = Query(default=None, pattern="^(accepted|rejected|unchanged)$"),
    after: int = Query(default=0, ge=0, le=2**31 - 1),  # an integer column: larger is a 500, not a page
    limit: int = Query(default=1000, ge=1, le=10_000),
) -> ImportRowsPage:
    rows = await service.report_rows(session, job_id, principal, outcome=outcome, after=after, limit=limit)
    items = [ImportRowOut.model_validate(r, from_attributes=True) for r in rows]
    return ImportRowsPage(items=items, next_after=items[-1].row_number if len(items) == limit else None)
