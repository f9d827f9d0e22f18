"""HTTP route for the audit log (审计日志), as JSON pages or a streamed CSV / XLSX download."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from huimin_eligibility import sheets
from huimin_eligibility.audit import service
from huimin_eligibility.common import NO_CONTROL_CHARACTERS
from huimin_eligibility.deps import Auditor
from huimin_eligibility.sheets import ExportFormat, download
from huimin_shared.bulk import ReadSessionDep
from huimin_shared.errors import problem_responses

router = APIRouter(prefix="/v1/audit", tags=["audit"])

AUDIT_HEADERS = ("编号", "时间", "操作人", "角色", "操作", "对象类型", "对象编号", "详情")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    roles: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_after: int | None


@router.get(
    "",
    response_model=AuditPage,
    summary="Who did what to which record",
    description="审计日志: every change (registration, update, certification, exit, correction, application "
    "decision, appeal, import, roster read) with who made it and when (E2). Keyset pages by entry id. "
    "`format=csv` or `xlsx` downloads every matching entry (not one page), streamed, with Chinese headers "
    "(编号, 时间, 操作人, 角色, 操作, 对象类型, 对象编号, 详情) and formula-safe cells.",
    responses={
        200: {
            "content": {sheets.CSV_MEDIA_TYPE: {}, sheets.XLSX_MEDIA_TYPE: {}},
            "description": "JSON page, CSV or XLSX.",
        },
        **problem_responses(401, 403, 422),
    },
)
async def audit_log(
    session: ReadSessionDep,
    principal: Auditor,
    entity: str | None = Query(
        default=None,
        max_length=32,
        pattern=NO_CONTROL_CHARACTERS,
        description="resident, certification, application, appeal, import, roster",
    ),
    entity_id: str | None = Query(
        default=None,
        max_length=64,
        pattern=NO_CONTROL_CHARACTERS,
        description="ID number, certification lineage, uuid …",
    ),
    after: int | None = Query(default=None, ge=0, le=2**63 - 1),  # a bigint key
    limit: int = Query(default=100, ge=1, le=1000),
    format: ExportFormat = Query(
        default=ExportFormat.json, description="json (a page), csv or xlsx (everything)."
    ),
) -> AuditPage | StreamingResponse:
    if format is not ExportFormat.json:
        rows = service.entries_sheet_rows(session, principal, entity=entity, entity_id=entity_id)
        return download(format, "audit-log", "审计日志", AUDIT_HEADERS, rows)
    entries = await service.entries_page(
        session, principal, entity=entity, entity_id=entity_id, after=after, limit=limit
    )
    items = [AuditEntryOut.model_validate(e, from_attributes=True) for e in entries]
    return AuditPage(items=items, next_after=items[-1].id if len(items) == limit else None)
