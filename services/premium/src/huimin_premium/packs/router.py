"""HTTP for policy packs (政策参数包): list, read, check against the national floors, and publish a new
version with maker-checker (propose → validate → approve by another person)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field

from huimin_policy.packs.files import shipped_packs
from huimin_policy.packs.model import Pack
from huimin_premium.deps import READERS
from huimin_premium.packs import service
from huimin_premium.packs.schemas import INT32_MAX, PackList, PackSummary, PackValidation, ValidationReport
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/packs", tags=["packs"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
# The social insurance bureau drafts a pack version from the city's notice; another officer of it, or
# finance, approves it (maker-checker, enforced by the database as well).
Proposer = Annotated[Principal, Depends(require_roles(Role.social_insurance))]
Approver = Annotated[Principal, Depends(require_roles(Role.social_insurance, Role.finance))]
VersionNumber = Annotated[int, Path(ge=1, le=INT32_MAX, description="Pack version (1, 2, …).")]
PackId = Annotated[str, Path(max_length=48, description="Pack id, e.g. benxi or national.")]
Year = Annotated[int, Query(ge=2007, le=2100, description="Cover year (参保年度) to check.")]
# The example a candidate starts from: the shipped Benxi pack, as /docs' "Try it out" fills it in.
CandidatePack = Annotated[
    Pack,
    Body(
        openapi_examples={
            pack.id: {"summary": f"{pack.title} ({pack.document})", "value": pack.model_dump(mode="json")}
            for pack in shipped_packs()
            if pack.region is not None
        }
    ),
]


class PackDetail(PackSummary):
    content: Pack = Field(description="The pack as loaded: every value dated and cited.")


class PackVersionList(BaseModel):
    items: list[PackSummary]


@router.get(
    "",
    summary="List the policy packs (政策参数包) and their versions",
    description="Every stored pack version: the national notice (民发〔2007〕156号) and city notices "
    "such as 本政办发〔2009〕130号. `illustrative` marks packs holding amounts not found in the notices.",
    response_model=PackList,
    responses=problem_responses(401, 403),
)
async def list_packs(session: SessionDep, _: Reader) -> PackList:
    return PackList(items=await service.list_packs(session))


@router.get(
    "/{pack_id}/versions",
    operation_id="listPackVersions",
    summary="List the versions of one pack",
    description="The stored versions of a policy pack (政策参数包版本), oldest first.",
    response_model=PackVersionList,
    responses=problem_responses(401, 403, 404),
)
async def list_versions(pack_id: PackId, session: SessionDep, _: Reader) -> PackVersionList:
    return PackVersionList(items=await service.list_packs(session, pack_id))


@router.get(
    "/{pack_id}/versions/{version}",
    operation_id="getPackVersion",
    summary="Read one pack version with all its dated, cited values",
    description="The full content of a policy pack version (政策参数): base amounts, subsidy rates, "
    "cost sharing and, for the national pack, the floors and central shares.",
    response_model=PackDetail,
    responses=problem_responses(401, 403, 404),
)
async def get_version(pack_id: PackId, version: VersionNumber, session: SessionDep, _: Reader) -> PackDetail:
    pack_summary, pack = await service.detail(session, pack_id, version)
    return PackDetail(**pack_summary.model_dump(), content=pack)


@router.get(
    "/{pack_id}/versions/{version}/validation",
    operation_id="checkPackVersion",
    summary="Check a stored pack against the national floors (P4–P5)",
    description="A local pack may be more generous than the national floors (国家最低补助标准, 民发〔2007〕156号 "
    "N§二), never less: each shortfall is listed with the floor, what the pack gives and the citation.",
    response_model=ValidationReport,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def validate_stored(
    pack_id: PackId, version: VersionNumber, year: Year, session: SessionDep, _: Reader
) -> ValidationReport:
    return await service.validate_stored(session, pack_id, version, year)


@router.post(
    "/validate",
    operation_id="validatePack",
    summary="Check a candidate pack against the national floors (P4–P5), storing nothing",
    description="Send a pack (the YAML's content as JSON) to see whether it falls short of the national "
    "floors (国家最低补助标准) before shipping it.",
    response_model=ValidationReport,
    responses=problem_responses(401, 403, 409, 422),
)
async def validate_candidate(
    pack: CandidatePack, year: Year, session: SessionDep, _: Reader
) -> ValidationReport:
    return await service.validate(session, pack, year)


@router.post(
    "/{pack_id}/versions",
    operation_id="proposePackVersion",
    status_code=201,
    summary="Propose a new pack version (draft, 政策参数包版本草案)",
    description="Publishing a pack version (发布政策参数) happens here, not by editing files: send the whole pack (every "
    "value dated and cited) numbered after the newest stored version. It is stored as a `draft`; it prices "
    "nothing until it is validated against the national floors and approved by another person. The years it "
    "covers are those its values are dated in (`cover_years`): restate each figure for each new year.",
    response_model=PackSummary,
    responses=problem_responses(401, 403, 409, 422),
)
async def propose_version(
    pack_id: PackId, pack: CandidatePack, session: SessionDep, principal: Proposer
) -> PackSummary:
    return await service.propose(session, pack_id, pack, principal)


@router.post(
    "/{pack_id}/versions/{version}/validate",
    operation_id="validatePackVersion",
    summary="Validate a proposed pack version against the national floors (P4–P5)",
    description="Checks the version against the national floors (国家最低补助标准) in every cover year it states values for. When no year falls short it "
    "becomes `validated` and can be approved; otherwise it stays a `draft` and the report says which floor, "
    "group and year fell short, with the citation.",
    response_model=PackValidation,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def validate_version(
    pack_id: PackId, version: VersionNumber, session: SessionDep, _: Proposer
) -> PackValidation:
    return await service.validate_version(session, pack_id, version)


@router.post(
    "/{pack_id}/versions/{version}/approve",
    operation_id="approvePackVersion",
    summary="Approve a validated pack version (maker-checker, 审核批准)",
    description="A person other than the one who proposed it (双人审核) approves a `validated` version; it then prices "
    "quotes and assessments of the cover years it states, from its `effective_from` date. Assessments already "
    "run keep the pack version they were priced with.",
    response_model=PackSummary,
    responses=problem_responses(401, 403, 404, 409),
)
async def approve_version(
    pack_id: PackId, version: VersionNumber, session: SessionDep, principal: Approver
) -> PackSummary:
    return await service.approve(session, pack_id, version, principal)
