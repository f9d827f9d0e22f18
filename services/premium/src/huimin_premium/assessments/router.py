"""HTTP for assessments (资助参保资金核定): start runs, follow progress, read versions, lines and diffs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from huimin_premium.assessments import reads, service
from huimin_premium.assessments.schemas import (
    Accepted,
    AssessmentList,
    AssessmentOut,
    AssessmentRequest,
    Diff,
    GroupList,
    Kind,
    LineCategory,
    LineKind,
    LinePage,
    Run,
    RunRequest,
    VersionList,
    VersionOut,
)
from huimin_premium.deps import READERS
from huimin_premium.packs.schemas import INT32_MAX, INT64_MAX
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.bulk import ReadSessionDep
from huimin_shared.errors import problem_responses
from huimin_shared.guard import body_limit
from huimin_shared.jobs import JobRunner
from huimin_shared.paging import DEFAULT_LIMIT, AfterId, PageLimit

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])
# The `paid` list holds up to MAX_PAID ID numbers (about 21 bytes each in JSON): more than the default body.
PAID_LIST_BODY_BYTES = 8 * 1024 * 1024
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
Assessor = Annotated[Principal, Depends(require_roles(Role.social_insurance))]
NDJSON = "application/x-ndjson"
VersionNumber = Annotated[int, Path(ge=1, le=INT32_MAX, description="Version number (1, 2, …).")]
RunId = Annotated[int, Path(ge=1, le=INT64_MAX, description="Run id.")]


def _jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


@router.post(
    "",
    status_code=202,
    summary="Start an assessment of a region and cover year",
    description="资助参保资金核定: runs the pinned pack version over the eligibility roster as known at `as_of` "
    "and stores one line per resident plus totals by category, age group, region and paying level. Kinds: "
    "`annual` (certified at year start: 低保集体投保 and 边缘对象, B§四(一)(二)), `new_entrants` (新增, certified "
    "during the year, assessed at year end, B§四(三)) and `refunds` (已提前缴费, the `paid` list from the social "
    "insurance system, refunded once at year end, B§四(四)). Answers 202 with the run; follow its progress at "
    "the `Location` given.",
    response_model=Accepted,
    responses=problem_responses(401, 403, 409, 422),
)
@body_limit(PAID_LIST_BODY_BYTES)
async def create_assessment(
    body: AssessmentRequest,
    session: SessionDep,
    principal: Assessor,
    background: BackgroundTasks,
    request: Request,
    response: Response,
) -> Accepted:
    accepted = await service.create(session, principal, body)
    background.add_task(_jobs(request).wake)  # after the commit: the run row is visible to the job
    response.headers["Location"] = f"/v1/assessments/{accepted.assessment.id}/runs/{accepted.run.id}"
    return accepted


@router.get(
    "",
    summary="List assessments",
    description="Assessments (资助参保资金核定) readable with the token, filtered by region, year and kind.",
    response_model=AssessmentList,
    responses=problem_responses(401, 403, 422),
)
async def list_assessments(
    session: SessionDep,
    principal: Reader,
    region: Annotated[str | None, Query(pattern=r"^[1-9]\d{5}$")] = None,
    year: Annotated[int | None, Query(ge=2007, le=2100, description="Cover year (参保年度).")] = None,
    kind: Kind | None = None,
) -> AssessmentList:
    items = await reads.list_assessments(session, principal, region=region, year=year, kind=kind)
    return AssessmentList(items=items)


@router.get(
    "/{assessment_id}",
    summary="Read an assessment",
    description="An assessment (资助参保资金核定): region, cover year, kind, pinned packs and its versions.",
    response_model=AssessmentOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_assessment(assessment_id: uuid.UUID, session: SessionDep, principal: Reader) -> AssessmentOut:
    return await reads.get(session, principal, assessment_id)


@router.post(
    "/{assessment_id}/runs",
    status_code=202,
    summary="Re-run an assessment (a changed roster gives a new version)",
    description="重新核定: runs the same pinned packs over the roster as known at `as_of`. If the results "
    "equal the latest version's, no version is made (the run ends `unchanged`); otherwise a new version "
    "carries the earlier lines unchanged plus adjustment lines (调整) for new, exited and changed "
    "residents. The same `as_of` and `paid` list as the latest version answer 200 with that run at once.",
    response_model=Run,
    responses={
        200: {"model": Run, "description": "Same inputs as the latest version: nothing to run."},
        **problem_responses(401, 403, 404, 409, 422),
    },
)
@body_limit(PAID_LIST_BODY_BYTES)
async def rerun_assessment(
    assessment_id: uuid.UUID,
    body: RunRequest,
    session: SessionDep,
    principal: Assessor,
    background: BackgroundTasks,
    request: Request,
    response: Response,
) -> Run | JSONResponse:
    run, created = await service.rerun(session, principal, assessment_id, body)
    if not created:
        return JSONResponse(run.model_dump(mode="json"), status_code=200)
    background.add_task(_jobs(request).wake)
    response.headers["Location"] = f"/v1/assessments/{assessment_id}/runs/{run.id}"
    return run


@router.get(
    "/{assessment_id}/runs",
    operation_id="listAssessmentRuns",
    summary="List the runs of an assessment",
    description="Every run (核定运行) with its status and progress, oldest first.",
    response_model=list[Run],
    responses=problem_responses(401, 403, 404, 422),
)
async def list_runs(assessment_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[Run]:
    return await reads.runs(session, principal, assessment_id)


@router.get(
    "/{assessment_id}/runs/{run_id}",
    operation_id="getAssessmentRun",
    summary="Follow a run's progress",
    description="Progress of a run (核定进度): roster rows read, committed per chunk, and residents assessed, "
    "set when the whole roster has been read; "
    "then `complete` with the version made, `unchanged` with the identical latest version, or `failed`.",
    response_model=Run,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_run(assessment_id: uuid.UUID, run_id: RunId, session: SessionDep, principal: Reader) -> Run:
    return await reads.run(session, principal, assessment_id, run_id)


@router.get(
    "/{assessment_id}/versions",
    operation_id="listAssessmentVersions",
    summary="List the versions of an assessment",
    description="Every version (核定版本) with its totals, oldest first.",
    response_model=VersionList,
    responses=problem_responses(401, 403, 404, 422),
)
async def list_versions(assessment_id: uuid.UUID, session: SessionDep, principal: Reader) -> VersionList:
    return VersionList(items=await reads.versions(session, principal, assessment_id))


@router.get(
    "/{assessment_id}/versions/{version}",
    operation_id="getAssessmentVersion",
    summary="Read a version with its totals",
    description="A version (核定版本) and its totals (合计) by paying level, category, age group and region, "
    "computed in SQL from its lines: they equal the sum of the lines to the fen.",
    response_model=VersionOut,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_version(
    assessment_id: uuid.UUID, version: VersionNumber, session: SessionDep, principal: Reader
) -> VersionOut:
    return await reads.version(session, principal, assessment_id, version)


@router.get(
    "/{assessment_id}/versions/{version}/lines",
    operation_id="getAssessmentLines",
    summary="Read a version's lines (NDJSON stream or keyset pages)",
    description="资助明细: one line per resident (regular) plus adjustment lines (调整, may be negative). With "
    "`Accept: application/x-ndjson` every line is streamed; otherwise pages of `limit` lines after the line id "
    "`after`. Each line's `by_payer` adds up to its `assistance_subsidy` to the fen. `category` (repeatable) "
    "keeps only the lines of those categories (人员类别); `none` names lines without a subsidised category. "
    "`line_kind` keeps only regular or adjustment lines. Every person shown is written to the read log "
    "(set-based for a stream).",
    response_model=LinePage,
    responses={
        200: {"content": {NDJSON: {}}, "description": "Lines as JSON pages or an NDJSON stream."},
        **problem_responses(401, 403, 404, 422),
    },
)
async def get_lines(
    assessment_id: uuid.UUID,
    version: VersionNumber,
    request: Request,
    session: SessionDep,
    reader: ReadSessionDep,
    principal: Reader,
    after: AfterId = None,
    limit: PageLimit = DEFAULT_LIMIT,
    line_kind: LineKind | None = None,
    category: Annotated[
        list[LineCategory] | None,
        Query(max_length=5, description="Only lines of these categories (repeat the parameter for several)."),
    ] = None,
) -> LinePage | StreamingResponse:
    lines = await reads.lines(
        session,
        principal,
        assessment_id,
        version,
        stream_from=reader if NDJSON in request.headers.get("accept", "") else None,
        after=after,
        limit=limit,
        line_kind=line_kind,
        categories=category,
    )
    return lines if isinstance(lines, LinePage) else StreamingResponse(lines, media_type=NDJSON)


@router.get(
    "/{assessment_id}/versions/{version}/groups",
    operation_id="getAssessmentGroups",
    summary="Read a version's lines summed per region, category, age group and line kind",
    description="分组合计: the version's lines summed per region (区县), category (人员类别), age group (年龄段) "
    "and line kind (regular or 调整), computed by one GROUP BY in SQL — every group equals the sum of its "
    "lines to the fen, and the groups add up to the version's totals. For readers that need amounts per "
    "group (a head's price, control totals) without streaming every line.",
    response_model=GroupList,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_groups(
    assessment_id: uuid.UUID, version: VersionNumber, session: SessionDep, principal: Reader
) -> GroupList:
    return GroupList(items=await reads.groups(session, principal, assessment_id, version))


@router.get(
    "/{assessment_id}/versions/{version}/diff",
    operation_id="getAssessmentDiff",
    summary="Compare a version with the one before it",
    description="版本差异: residents new, exited and changed since the previous version, with the totals per "
    "paying level before and after. Items are keyset pages by ID number (`after`, `limit`).",
    response_model=Diff,
    responses=problem_responses(401, 403, 404, 422),
)
async def get_diff(
    assessment_id: uuid.UUID,
    version: VersionNumber,
    session: SessionDep,
    principal: Reader,
    after: Annotated[str | None, Query(pattern=r"^\d{17}[\dX]$")] = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> Diff:
    return await reads.diff(session, principal, assessment_id, version, after=after, limit=limit)
