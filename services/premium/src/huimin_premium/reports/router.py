"""HTTP for the R1 report (困难居民参保情况报表)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from huimin_premium.deps import SettlementDep
from huimin_premium.reports import service
from huimin_premium.reports.schemas import R1Report
from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Reporter = Annotated[
    Principal, Depends(require_roles(Role.civil_affairs, Role.finance, Role.social_insurance, Role.auditor))
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/r1",
    operation_id="getR1Report",
    summary="R1: residents in hardship enrolled, subsidy standards and fiscal subsidy in place",
    description="困难居民参加城镇居民基本医疗保险情况 (民发〔2007〕156号 N§一, by the end of March each year): per "
    "city, the residents in hardship enrolled (未成年人 / 成年人), the subsidy standard per group (补助标准) and the "
    "local fiscal subsidy in place (地方财政补助资金到位情况) as moved by the settlement ledger, beside what the "
    "assessments came to. `format=xlsx` gives the same figures as a workbook.",
    response_model=R1Report,
    responses={
        200: {"content": {XLSX: {}}, "description": "JSON, or XLSX with format=xlsx."},
        **problem_responses(401, 403, 422, 503),
    },
)
async def get_r1(
    session: SessionDep,
    settlement: SettlementDep,
    principal: Reporter,
    region: Annotated[
        str, Query(pattern=r"^[1-9]\d{5}$", description="A province (210000) or city (210500).")
    ],
    year: Annotated[int, Query(ge=2007, le=2100)],
    format: Annotated[Literal["json", "xlsx"], Query(description="json (default) or xlsx.")] = "json",
) -> R1Report | Response:
    principal.ensure_covers(region)
    report = await service.r1(session, settlement, region, year)
    if format == "xlsx":
        return Response(
            service.to_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="r1-{region}-{year}.xlsx"'},
        )
    return report
