"""HTTP for policy packs (政策参数包): list, read, and check against the national floors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from huimin_premium.deps import READERS
from huimin_premium.packs.schemas import INT32_MAX, Pack, PackList, PackSummary, ValidationReport
from huimin_premium.packs.service import PackService, summary
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, require_roles
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/packs", tags=["packs"])
Reader = Annotated[Principal, Depends(require_roles(*READERS))]
VersionNumber = Annotated[int, Path(ge=1, le=INT32_MAX, description="Pack version (1, 2, …).")]
PackId = Annotated[str, Path(max_length=48, description="Pack id, e.g. benxi or national.")]
Year = Annotated[int, Query(ge=2007, le=2100, description="Cover year (参保年度) to check.")]


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
    return PackList(items=await PackService(session).list())


@router.get(
    "/{pack_id}/versions",
    summary="List the versions of one pack",
    description="The stored versions of a policy pack (政策参数包版本), oldest first.",
    response_model=PackVersionList,
    responses=problem_responses(401, 403, 404),
)
async def list_versions(pack_id: PackId, session: SessionDep, _: Reader) -> PackVersionList:
    return PackVersionList(items=await PackService(session).list(pack_id))


@router.get(
    "/{pack_id}/versions/{version}",
    summary="Read one pack version with all its dated, cited values",
    description="The full content of a policy pack version (政策参数): base amounts, subsidy rates, "
    "cost sharing and, for the national pack, the floors and central shares.",
    response_model=PackDetail,
    responses=problem_responses(401, 403, 404),
)
async def get_version(pack_id: PackId, version: VersionNumber, session: SessionDep, _: Reader) -> PackDetail:
    row, pack = await PackService(session).get(pack_id, version)
    return PackDetail(**summary(row).model_dump(), content=pack)


@router.get(
    "/{pack_id}/versions/{version}/validation",
    summary="Check a stored pack against the national floors (P4–P5)",
    description="A local pack may be more generous than the national floors (国家最低补助标准, 民发〔2007〕156号 "
    "N§二), never less: each shortfall is listed with the floor, what the pack gives and the citation.",
    response_model=ValidationReport,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def validate_stored(
    pack_id: PackId, version: VersionNumber, year: Year, session: SessionDep, _: Reader
) -> ValidationReport:
    service = PackService(session)
    _row, pack = await service.get(pack_id, version)
    return await service.validate(pack, year)


@router.post(
    "/validate",
    summary="Check a candidate pack against the national floors (P4–P5), storing nothing",
    description="Send a pack (the YAML's content as JSON) to see whether it falls short of the national "
    "floors (国家最低补助标准) before shipping it.",
    response_model=ValidationReport,
    responses=problem_responses(401, 403, 409, 422),
)
async def validate_candidate(pack: Pack, year: Year, session: SessionDep, _: Reader) -> ValidationReport:
    return await PackService(session).validate(pack, year)
