"""HTTP routes for the monthly change report (月报) and the disclosure list (公示)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from huimin_eligibility.common import AreaCode, DistrictCode, Instant, as_of_or_now
from huimin_eligibility.deps import DisclosureReader, ReportReader
from huimin_eligibility.reports import service
from huimin_eligibility.reports.schemas import Disclosure, MonthlyChanges
from huimin_eligibility.sheets import ExportFormat, download
from huimin_shared.bulk import ReadSessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1", tags=["reports"])
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@router.get(
    "/monthly-changes",
    response_model=MonthlyChanges,
    summary="New, exited and changed people in a month",
    description="资助对象明细表 (月报): for a region and month, the people who became certified (新增), left (退出) "
    "or whose certification changed (变更) — the report civil affairs sends social insurance on the 10th "
    "(E6, B§四(三), B§五(三)). `format=csv` or `xlsx` downloads the detail sheet with Chinese headers.",
    responses={
        200: {"content": {CSV: {}, XLSX: {}}, "description": "JSON, or the sheet as CSV or XLSX."},
        **problem_responses(401, 403, 422),
    },
)
async def monthly_changes(
    session: ReadSessionDep,
    principal: ReportReader,
    region: Annotated[AreaCode, Query(description="Area code: city 210500 or a district/county.")],
    month: str = Query(
        pattern=r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="YYYY-MM, 1900-01 to 2100-12",
        examples=["2010-03"],
    ),
    as_of: Instant | None = Query(
        default=None, description="Transaction time (ISO 8601 with zone); default now."
    ),
    format: SheetFormat = Query(default=SheetFormat.json, description="json, csv or xlsx."),
) -> MonthlyChanges | Response:
    principal.ensure_covers(region)
    year, number = service.month_of(month)
    report = await service.monthly_changes(
        session, region=region, year=year, month=number, as_of=as_of_or_now(as_of)
    )
    filename = f"monthly-changes-{region}-{month}"
    if format is SheetFormat.csv:
        return Response(
            service.as_csv(report),
            media_type=CSV,
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    if format is SheetFormat.xlsx:
        return Response(
            service.as_xlsx(report),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    return report


@router.get(
    "/disclosure",
    response_model=Disclosure,
    summary="The community disclosure list",
    description="社区公示名单 (R2, N§四): who in a community is subsidised in a year — name with the given name "
    "masked, ID number masked (first 6 and last 4 visible), category; nothing more. `format=csv` or `xlsx` "
    "downloads it streamed, with Chinese headers (姓名, 公民身份号码, 类别) and formula-safe cells.",
    responses={
        200: {"content": {CSV: {}, XLSX: {}}, "description": "JSON, or the list as CSV or XLSX."},
        **problem_responses(401, 403, 422),
    },
)
async def disclosure(
    session: ReadSessionDep,
    principal: DisclosureReader,
    region: Annotated[DistrictCode, Query(description="The community's district or county.")],
    community: str = Query(min_length=1, max_length=100),
    year: int = Query(ge=2007, le=2100),
    format: ExportFormat = Query(default=ExportFormat.json, description="json, csv or xlsx."),
) -> Disclosure | StreamingResponse:
    principal.ensure_covers(region)
    if format is not ExportFormat.json:
        rows = service.disclosure_sheet_rows(
            session, region=region, community=community, year=year, as_of=as_of_or_now(None)
        )
        return download(
            format, f"disclosure-{region}-{year}", f"公示名单{year}", service.DISCLOSURE_HEADERS, rows
        )
    return await service.disclosure(
        session, region=region, community=community, year=year, as_of=as_of_or_now(None)
    )
